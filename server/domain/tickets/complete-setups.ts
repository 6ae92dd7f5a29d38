import { TicketSetup } from '../../../models/ticket-setup.js';
import { Ticket } from '../../../models/ticket.js';
import type { Ctx } from '../context.js';
import { createdEntryKey } from './create.js';
import { settleChosenFiles } from './attachments.js';
import { claimInvoiceKey } from './invoice-keys.js';
import { notifyRequester } from './notify.js';
import { appendTimeline } from './timeline.js';

/**
 * A setup row older than this is a creation that will not finish by itself: its request has long
 * answered or died (requests end well within it; the portal's stop drains them).
 */
export const setupRepairPolicy = { olderThanMs: 30_000, batch: 200 } as const;

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/**
 * Finish the ticket creations a crash interrupted (a portal or its database killed between the
 * ticket's insert and its history or confirmation mail): the invoice key, the `created` entry (with
 * the attachments stored in full; bytes of an upload cut short are removed) and the confirmation mail, each written at most once (a unique key decides: the entry's key, the
 * invoice key, the mail's event key), then the setup row goes. A row whose ticket was never stored
 * just goes. Safe to run on several nodes at once and to repeat.
 */
export async function completeTicketSetups(ctx: Ctx, now = new Date()): Promise<{ completed: number; dropped: number }> {
  // The collection holds only creations in flight: this scan is small.
  const rows = await TicketSetup.find({ createdAt: { $lt: new Date(now.getTime() - setupRepairPolicy.olderThanMs) } })
    .limit(setupRepairPolicy.batch)
    .lean();
  let completed = 0;
  let dropped = 0;
  for (const row of rows) {
    // By _id alone: the engine answers it from the index.
    const ticket = await Ticket.findOne({ _id: row._id }).setOptions({ allTenants: true }).lean();
    if (ticket && ticket.tenantId.equals(row.tenantId)) {
      const duplicateOf = await claimInvoiceKey(ticket);
      const attachments = row.fileIds.length ? await settleChosenFiles(row.fileIds, true) : [];
      const requester = ticket.requester;
      await appendTimeline(ctx, ticket, {
        kind: 'created',
        attachmentIds: attachments.map((a) => a._id),
        visibility: 'public',
        body: ticket.description ?? '',
        data: { channel: ticket.channel, ...(duplicateOf ? { duplicateOf: duplicateOf.number } : {}) },
        at: ticket.createdAt,
        key: createdEntryKey(ticket._id),
        author: { id: requester?.id ?? null, name: requester?.name ?? '', kind: 'client' },
      }).catch((err: unknown) => {
        if (!isDuplicateKey(err)) throw err; // written by the request before it died
      });
      if (row.notify) await notifyRequester(ctx, ticket, 'ticket_created', 'created');
      completed++;
      ctx.log.warn({ ticket: ticket.number }, 'ticket creation completed after an interruption');
    } else {
      if (row.fileIds.length) await settleChosenFiles(row.fileIds, false);
      dropped++;
    }
    await TicketSetup.deleteOne({ _id: row._id });
  }
  return { completed, dropped };
}
