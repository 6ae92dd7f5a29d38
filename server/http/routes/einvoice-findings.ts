import { Router, type Request } from 'express';
import { overrideFinding } from '../../domain/einvoices/override-finding.js';
import { conflictFlash, presentError } from '../../errors/present.js';
import { t } from '../../i18n/i18n.js';
import { backWithConflict } from '../forms.js';
import { wantsJson } from '../middleware/errors.js';
import { routePermission } from '../middleware/guards.js';
import { ticketPage } from './tickets.js';

/** The finding a form or JSON body names (`finding`: its id, finding-state.ts). */
const findingOf = (req: Request): string => {
  const v = (req.body as Record<string, unknown>).finding;
  return typeof v === 'string' ? v.trim() : '';
};

/**
 * Issue #17 item 5: override an error finding of an e-invoice ticket with a reason. The ticket
 * page's checklist posts a form per error (works without JavaScript: a redirect back, or the page
 * again with the reason refused under that error's box); a caller sending `Accept:
 * application/json` gets the stored override as JSON, or the refusal as the error table's JSON
 * (422 no reason, 409 overridden meanwhile, 404 no such finding, 403 not theirs to override).
 */
export function einvoiceFindingRoutes(): Router {
  const router = Router();

  router.post(
    '/tickets/:ref/finding-overrides',
    routePermission('invoices.override_findings'),
    async (req, res) => {
      const ref = String(req.params.ref);
      const id = findingOf(req);
      if (wantsJson(req)) {
        const done = await overrideFinding(req.ctx, ref, id, req.body);
        res.json({
          ok: true,
          message: t(req.locale, 'einvoice_gate.page.overridden_flash', { rule: done.override.rule }),
          finding: {
            id: done.findingId,
            rule: done.override.rule,
            override: {
              by: done.override.by.name,
              at: new Date(done.override.at).toISOString(),
              reason: done.override.reason,
            },
          },
        });
        return;
      }
      try {
        const done = await overrideFinding(req.ctx, ref, id, req.body);
        req.session.flash = {
          kind: 'ok',
          key: 'einvoice_gate.page.overridden_flash',
          params: { rule: done.override.rule },
        };
        res.redirect(`/tickets/${ref}#finding-${done.findingId}`);
      } catch (err) {
        if (conflictFlash(err)) return backWithConflict(req, res, `/tickets/${ref}`, err);
        const shown = presentError(err, req.locale, 'page');
        if (shown.form !== 're-render') throw shown.appError;
        // The page again, the reason kept and its message under the box of the finding posted.
        const page = await ticketPage(req, ref);
        const reason = (req.body as Record<string, unknown>).reason;
        for (const f of page.einvoice?.findings ?? [])
          if (f.id === id)
            Object.assign(f, {
              reasonError: shown.fields.find((e) => e.path === 'reason')?.message ?? shown.message,
              reasonValue: typeof reason === 'string' ? reason : '',
            });
        res.status(shown.status).render('tickets/show', { ...page, values: {}, formError: shown.message });
      }
    },
  );

  return router;
}
