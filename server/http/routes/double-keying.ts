import { Router, type Request, type Response } from 'express';
import { differencesView, secondKeyingView } from '../../domain/quality/double-keying-view.js';
import { keySecond, keySecondSchema } from '../../domain/quality/key-second.js';
import { settleDifferences, settleDifferencesSchema } from '../../domain/quality/settle-differences.js';
import { AppError, validation } from '../../errors/app-error.js';
import { conflictFlash } from '../../errors/present.js';
import { t } from '../../i18n/i18n.js';
import { backWithConflict, handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

/** A refusal the page tells as a flash: a race lost, or a keyer acting where another must. */
function flashRefusal(req: Request, res: Response, to: string, err: unknown): boolean {
  if (err instanceof AppError && err.code === 'forbidden' && err.messageKey.startsWith('double.')) {
    req.session.flash = { kind: 'error', key: err.messageKey };
    res.redirect(to);
    return true;
  }
  if (conflictFlash(err)) {
    backWithConflict(req, res, to, err);
    return true;
  }
  return false;
}

/**
 * Double keying (issue #18 item 3): the second keying of a record's critical fields, keyed blind
 * with the keying screen's keyboard flow (public/js/keying.js), and the differences page where a
 * third person settles each difference (plain forms, no script needed). Thin: the rules are in
 * server/domain/quality/ (key-second.ts, settle-differences.ts, double-keying-view.ts).
 */
export function doubleKeyingRoutes(): Router {
  const router = Router();
  const base = (req: Request) => `/tickets/${String(req.params.ref)}`;

  const secondPage = async (req: Request) => {
    const view = await secondKeyingView(req.ctx, String(req.params.ref));
    return { title: t(req.locale, 'double.second_title', { number: view.ticket.number }), ...view };
  };

  router.get('/tickets/:ref/keying/second', routePermission('quality.key'), async (req, res) => {
    res.render('tickets/keying-second', await secondPage(req));
  });

  router.post('/tickets/:ref/keying/second', routePermission('quality.key'), async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(body))
      if (key.startsWith('values.')) values[key.slice(7)] = typeof value === 'string' ? value : '';
    const to = `${base(req)}/keying/second`;
    try {
      const input = parseInput(keySecondSchema, { seq: body.seq, values });
      const saved = await keySecond(req.ctx, String(req.params.ref), input);
      req.session.flash = { kind: 'ok', key: 'double.second_saved', params: { seq: String(saved.seq) } };
      res.redirect(to);
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation') {
        // The same record again, with what was typed and a message per field.
        return handleForm(req, res, 'tickets/keying-second', await secondPage(req), () => {
          throw err;
        });
      }
      if (!flashRefusal(req, res, to, err)) throw err;
    }
  });

  const differencesPage = async (req: Request) => {
    const view = await differencesView(req.ctx, String(req.params.ref));
    return { title: t(req.locale, 'double.differences_title', { number: view.ticket.number }), ...view };
  };

  router.get('/tickets/:ref/differences', routePermission('records.settle'), async (req, res) => {
    res.render('tickets/differences', await differencesPage(req));
  });

  router.post('/tickets/:ref/differences', routePermission('records.settle'), async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const settle: { key: string; choice: string; value?: string }[] = [];
    for (const [name, choice] of Object.entries(body)) {
      if (!name.startsWith('choice.') || typeof choice !== 'string') continue;
      const key = name.slice(7);
      const typed = body[`typed.${key}`];
      settle.push({ key, choice, ...(typeof typed === 'string' ? { value: typed } : {}) });
    }
    const to = `${base(req)}/differences`;
    try {
      if (settle.length === 0) throw validation([{ path: 'settle', key: 'double.errors.choose' }]);
      const input = parseInput(settleDifferencesSchema, { seq: body.seq, settle });
      const done = await settleDifferences(req.ctx, String(req.params.ref), input);
      req.session.flash = { kind: 'ok', key: 'double.settled', params: { seq: String(done.seq) } };
      res.redirect(to);
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation') {
        const locals = { ...(await differencesPage(req)), errorSeq: Number(body.seq) };
        return handleForm(req, res, 'tickets/differences', locals, () => {
          throw err;
        });
      }
      if (!flashRefusal(req, res, to, err)) throw err;
    }
  });

  return router;
}
