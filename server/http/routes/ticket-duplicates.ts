import { Router } from 'express';
import { closeAsDuplicate, closeAsDuplicateSchema } from '../../domain/tickets/close-as-duplicate.js';
import {
  findPossibleDuplicate,
  possibleDuplicateSchema,
} from '../../domain/tickets/find-possible-duplicate.js';
import { mergeTickets, mergeTicketsSchema } from '../../domain/tickets/merge-tickets.js';
import { t } from '../../i18n/i18n.js';
import { backWithConflict, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

/** Duplicates (issue 16 item 5): the new invoice form's warning, closing as duplicate, merging. */
export function ticketDuplicateRoutes(): Router {
  const router = Router();

  /** JSON for the invoice form's script: is this supplier invoice already a ticket of my company? */
  router.get(
    '/tickets/new/invoice/duplicate-check.json',
    routePermission('tickets.open'),
    async (req, res) => {
      const input = parseInput(possibleDuplicateSchema, req.query);
      const found = await findPossibleDuplicate(req.ctx, input);
      // The words the form shows, in the reader's language (a colleague's ticket is not named).
      const message = !found.duplicate
        ? ''
        : found.number
          ? t(req.locale, 'duplicates.warning', { number: found.number })
          : t(req.locale, 'duplicates.warning_hidden');
      res.set('Cache-Control', 'no-store').json({ ...found, message });
    },
  );

  router.post('/tickets/:ref/close-duplicate', routePermission('tickets.dedupe'), async (req, res) => {
    const ref = String(req.params.ref);
    const input = parseInput(closeAsDuplicateSchema, req.body);
    try {
      const closed = await closeAsDuplicate(req.ctx, ref, input);
      req.session.flash = {
        kind: 'ok',
        key: 'duplicates.closed_flash',
        params: { number: closed.duplicateOf?.number ?? '' },
      };
      res.redirect(`/tickets/${ref}`);
    } catch (err) {
      backWithConflict(req, res, `/tickets/${ref}`, err);
    }
  });

  router.post('/tickets/:ref/merge', routePermission('tickets.dedupe'), async (req, res) => {
    const ref = String(req.params.ref);
    const input = parseInput(mergeTicketsSchema, req.body);
    try {
      const merged = await mergeTickets(req.ctx, ref, input);
      const into = merged.mergedInto?.number ?? '';
      req.session.flash = { kind: 'ok', key: 'duplicates.merged_flash', params: { number: into } };
      res.redirect(`/tickets/${into}`);
    } catch (err) {
      backWithConflict(req, res, `/tickets/${ref}`, err);
    }
  });

  return router;
}
