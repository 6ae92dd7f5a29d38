import { z } from 'zod';
import {
  queueCounts,
  queueOverview,
  queueRows,
  queueTickets,
  type TicketSummary,
} from '../../domain/queues/views.js';
import { renderPartial } from '../../http/views.js';
import { noInput, objectId, type HandlerKit } from './handle.js';

const schemas = {
  queueSync: z.object({ queueId: objectId }),
  queueRows: z.object({ queueId: objectId, ids: z.array(objectId).min(1).max(50) }),
};

/** The queue pages: a queue's tickets and rows, the counts, the overview. */
export function registerQueueHandlers({ handle, reader }: HandlerKit): void {
  // Rows as views/partials/ticket-rows.hbs prints them for this reader: the page script only
  // inserts them (it fills in its own CSRF token), and places them by their data-sort-key.
  const rowsHtml = (tickets: TicketSummary[], order?: string) =>
    Promise.all(
      tickets.map(async (ticket) => ({
        id: ticket.id,
        version: ticket.version,
        html: await renderPartial(
          'ticket-rows',
          { rows: [ticket], noEmptyRow: true, queue: order ? { order } : null, selectable: Boolean(order) },
          reader,
        ),
      })),
    );
  const listHtml = (tickets: TicketSummary[]) => renderPartial('ticket-rows', { rows: tickets }, reader);

  handle('queue:sync', schemas.queueSync, async (ctx, input) => {
    const [{ queue, tickets }, counts] = await Promise.all([
      queueTickets(ctx, input.queueId),
      queueCounts(ctx),
    ]);
    return {
      queueId: String(queue._id),
      order: queue.order,
      filter: {
        tenantIds: queue.tenantIds.map(String),
        types: queue.types,
        priorities: queue.priorities,
        tags: queue.tags,
      },
      tickets,
      rows: await rowsHtml(tickets, queue.order),
      counts,
    };
  });

  handle('queue:rows', schemas.queueRows, async (ctx, input) => {
    const { queue, tickets } = await queueRows(ctx, input.queueId, input.ids);
    return { queueId: String(queue._id), rows: await rowsHtml(tickets, queue.order) };
  });

  handle('queues:counts', noInput, (ctx) => queueCounts(ctx));

  handle('queues:overview', noInput, async (ctx) => {
    const overview = await queueOverview(ctx);
    return {
      ...overview,
      html: { mine: await listHtml(overview.mine), soon: await listHtml(overview.soon) },
    };
  });
}
