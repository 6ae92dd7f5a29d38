import { Router, type Request, type Response } from 'express';
import { allowReducedInspection, allowReducedSchema } from '../../domain/quality/allow-reduced-inspection.js';
import { inspectionView } from '../../domain/quality/keying-view.js';
import { resumeInspection, resumeInspectionSchema } from '../../domain/quality/resume-inspection.js';
import { switchingView } from '../../domain/quality/switching-view.js';
import { t } from '../../i18n/i18n.js';
import { handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

/** The inspection page's locals: the sample (keying-view.ts) and the switching panel (switching-view.ts). */
export async function inspectionLocals(req: Request) {
  const ref = String(req.params.ref);
  const view = await inspectionView(req.ctx, ref);
  return {
    title: t(req.locale, 'keying.inspection_title', { number: view.ticket.number }),
    ...view,
    // The panel of the batch's layout: none before the ticket is keyed on one.
    switching: view.batch ? await switchingView(req.ctx, ref) : null,
  };
}

/**
 * The inspection page's forms for team leads (`quality.switching`) on the switching state of the
 * ticket's client layout: resume inspection after it was stopped, stating the corrective action,
 * and allow or withdraw reduced inspection. Thin: the rules are in resume-inspection.ts and
 * allow-reduced-inspection.ts; a refused form shows itself again with its message.
 */
export function inspectionSwitchingRoutes(): Router {
  const router = Router();
  const guard = routePermission('quality.switching');
  const back = (req: Request, res: Response) => res.redirect(`/tickets/${String(req.params.ref)}/inspection`);

  router.post('/tickets/:ref/inspection/resume', guard, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await handleForm(
      req,
      res,
      'tickets/inspection',
      () => inspectionLocals(req),
      async () => {
        const input = parseInput(resumeInspectionSchema, { correctiveAction: body.correctiveAction ?? '' });
        await resumeInspection(req.ctx, String(req.params.ref), input);
        req.session.flash = { kind: 'ok', key: 'quality_ops.switching.resumed' };
        back(req, res);
      },
    );
  });

  router.post('/tickets/:ref/inspection/reduced', guard, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await handleForm(
      req,
      res,
      'tickets/inspection',
      () => inspectionLocals(req),
      async () => {
        const input = parseInput(allowReducedSchema, { allow: body.allow === 'true' });
        await allowReducedInspection(req.ctx, String(req.params.ref), input);
        req.session.flash = {
          kind: 'ok',
          key: input.allow
            ? 'quality_ops.switching.reduced_saved_on'
            : 'quality_ops.switching.reduced_saved_off',
        };
        back(req, res);
      },
    );
  });
  return router;
}
