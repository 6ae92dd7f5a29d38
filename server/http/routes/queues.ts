import { Router, type Request } from 'express';
import { queueOrders } from '../../../models/queue.js';
import { priorities, ticketStatuses, ticketTypes } from '../../../models/ticket.js';
import { can } from '../../domain/auth/policy.js';
import {
  assignableStaff,
  assignInputSchema,
  assignTicket,
  releaseTicket,
  takeNext,
  takeTicket,
} from '../../domain/queues/claims.js';
import {
  createQueue,
  getQueue,
  listQueues,
  queueInputSchema,
  updateQueue,
} from '../../domain/queues/queues.js';
import { queueOverview, queueTickets } from '../../domain/queues/views.js';
import { sortLinks } from '../../domain/queues/sort-links.js';
import { bulkInputSchema, bulkTicketsSchema, bulkUpdate } from '../../domain/queues/bulk-update.js';
import {
  defaultQueueView,
  getQueueView,
  queueViewInputSchema,
  saveQueueView,
} from '../../domain/queues/save-queue-view.js';
import { queueViewSlaStates, queueViewSorts } from '../../../models/queue-view.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { t } from '../../i18n/i18n.js';
import { backWithConflict, handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

const back = (req: Request, fallback: string): string => {
  const referer = req.get('referer');
  if (!referer) return fallback;
  try {
    const url = new URL(referer);
    return url.host === req.get('host') ? `${url.pathname}${url.search}` : fallback;
  } catch {
    return fallback;
  }
};

/** Whom a team lead may assign the page's tickets to: those serving any of the caller's clients. */
async function staffFor(req: Request, tenants: Array<{ _id: unknown }>) {
  const lists = await Promise.all(tenants.map((tn) => assignableStaff(req.ctx, String(tn._id))));
  const byId = new Map(lists.flat().map((u) => [String(u._id), { _id: String(u._id), name: u.name }]));
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

// Long function: a route table: many short handlers.
export function queueRoutes(): Router {
  const router = Router();
  router.use(['/queues', '/queues/*rest'], routePermission('queues.work'));

  router.get('/queues', async (req, res) => {
    const { counts, mine, soon } = await queueOverview(req.ctx);
    res.render('queues/index', {
      title: t(req.locale, 'queues.title'),
      counts,
      mine,
      soon,
      canManage: can(req.ctx.actor, 'queues.manage'),
    });
  });

  const formLocals = async (req: Request, extra: Record<string, unknown> = {}) => ({
    title: t(req.locale, extra.queue ? 'queues.edit_title' : 'queues.new_title'),
    tenants: await listTenants(req.ctx),
    types: ticketTypes,
    priorities,
    orders: queueOrders,
    ...extra,
  });

  router.get('/queues/manage', routePermission('queues.manage'), async (req, res) => {
    res.render('queues/manage', {
      title: t(req.locale, 'queues.manage_title'),
      queues: await listQueues(req.ctx, { includeInactive: true }),
    });
  });
  router.get('/queues/manage/new', routePermission('queues.manage'), async (req, res) => {
    res.render(
      'queues/form',
      await formLocals(req, { values: { order: 'sla', tenantIds: [], types: [], priorities: [] } }),
    );
  });
  router.post('/queues/manage', routePermission('queues.manage'), async (req, res) => {
    await handleForm(
      req,
      res,
      'queues/form',
      () => formLocals(req),
      async () => {
        await createQueue(req.ctx, parseInput(queueInputSchema, req.body));
        req.session.flash = { kind: 'ok', key: 'queues.saved' };
        res.redirect('/queues/manage');
      },
    );
  });
  router.get('/queues/manage/:id', routePermission('queues.manage'), async (req, res) => {
    const queue = await getQueue(req.ctx, String(req.params.id));
    const values = { ...queue, tenantIds: queue.tenantIds.map(String), tags: queue.tags.join(', ') };
    res.render('queues/form', await formLocals(req, { queue, values }));
  });
  router.post('/queues/manage/:id', routePermission('queues.manage'), async (req, res) => {
    const id = String(req.params.id);
    const queue = await getQueue(req.ctx, id);
    await handleForm(
      req,
      res,
      'queues/form',
      () => formLocals(req, { queue }),
      async () => {
        const body = req.body as Record<string, unknown>;
        await updateQueue(req.ctx, id, {
          ...parseInput(queueInputSchema, body),
          active: body.active === 'true',
        });
        req.session.flash = { kind: 'ok', key: 'queues.saved' };
        res.redirect('/queues/manage');
      },
    );
  });

  // The filter form is a plain GET: `view=1` marks it sent, and the choice is saved for the caller.
  router.get('/queues/:id', async (req, res) => {
    const id = String(req.params.id);
    const query = req.query as Record<string, unknown>;
    const view =
      query.view === '1'
        ? await saveQueueView(req.ctx, id, parseInput(queueViewInputSchema, query))
        : await getQueueView(req.ctx, id);
    const { queue, tickets } = await queueTickets(req.ctx, id, view);
    const tenants = await listTenants(req.ctx);
    const canManage = can(req.ctx.actor, 'queues.manage');
    const bulk = req.session.queueBulk;
    delete req.session.queueBulk;
    res.render('queues/show', {
      title: queue.name,
      queue,
      tickets,
      view,
      bulk: bulk
        ? {
            done: bulk.done,
            failed: bulk.failed.map((f) => ({
              ticket: f.number ?? f.ref,
              reason: t(req.locale, f.messageKey, f.params),
            })),
          }
        : null,
      tenants,
      types: ticketTypes,
      priorities,
      statuses: ticketStatuses,
      sorts: queueViewSorts,
      sortLinks: sortLinks(String(queue._id), view),
      slaStates: queueViewSlaStates,
      canManage,
      staff: canManage ? await staffFor(req, tenants) : [],
      selectable: true,
      // Live rows follow the queue's own order and filter: a person's own view is drawn on load.
      liveView: JSON.stringify(view) === JSON.stringify(defaultQueueView),
    });
  });

  // One action on the selected rows; each ticket is checked and recorded on its own (bulk-update.ts).
  router.post('/queues/:id/bulk', async (req, res) => {
    const id = String(req.params.id);
    await getQueue(req.ctx, id);
    const body = req.body as Record<string, unknown>;
    if (!body.tickets) {
      req.session.flash = { kind: 'error', key: 'queue_views.bulk_none_selected' };
      return res.redirect(`/queues/${id}`);
    }
    const refs = parseInput(bulkTicketsSchema, body.tickets);
    const result = await bulkUpdate(req.ctx, refs, parseInput(bulkInputSchema, body));
    req.session.queueBulk = result;
    res.redirect(`/queues/${id}`);
  });

  router.post('/queues/:id/next', async (req, res) => {
    const ticket = await takeNext(req.ctx, String(req.params.id));
    if (!ticket) {
      req.session.flash = { kind: 'ok', key: 'queues.nothing_next' };
      return res.redirect(`/queues/${String(req.params.id)}`);
    }
    req.session.flash = { kind: 'ok', key: 'queues.taken', params: { number: ticket.number } };
    res.redirect(`/tickets/${ticket.number}`);
  });

  router.post('/tickets/:ref/take', routePermission('queues.work'), async (req, res) => {
    const ref = String(req.params.ref);
    try {
      const ticket = await takeTicket(req.ctx, ref);
      req.session.flash = { kind: 'ok', key: 'queues.taken', params: { number: ticket.number } };
      res.redirect(`/tickets/${ticket.number}`);
    } catch (err) {
      backWithConflict(req, res, back(req, `/tickets/${ref}`), err);
    }
  });

  router.post('/tickets/:ref/release', routePermission('queues.work'), async (req, res) => {
    const ref = String(req.params.ref);
    try {
      await releaseTicket(req.ctx, ref);
      req.session.flash = { kind: 'ok', key: 'queues.released' };
      res.redirect(`/tickets/${ref}`);
    } catch (err) {
      backWithConflict(req, res, `/tickets/${ref}`, err);
    }
  });

  router.post('/tickets/:ref/assign', routePermission('queues.manage'), async (req, res) => {
    const ref = String(req.params.ref);
    // The list starts on an empty choice: sent as it is, nobody is assigned and the page says why.
    if (!(req.body as { userId?: unknown }).userId) {
      req.session.flash = { kind: 'error', key: 'pages.choose_person' };
      return res.redirect(`/tickets/${ref}`);
    }
    const { userId } = parseInput(assignInputSchema, req.body);
    try {
      await assignTicket(req.ctx, ref, userId);
      req.session.flash = { kind: 'ok', key: 'queues.assigned' };
      res.redirect(`/tickets/${ref}`);
    } catch (err) {
      backWithConflict(req, res, `/tickets/${ref}`, err);
    }
  });
  return router;
}
