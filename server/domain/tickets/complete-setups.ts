import type { Types } from 'mongoose';
import { TicketSetup, type TicketSetupAttrs } from '../../../models/ticket-setup.js';
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
export const setupRepairPolicy = { olderThanMs: 30_000, batch: 200, maxAttempts: 5 } as const;

/** Rows this process could not finish nor record a failure on (not reachable by _id): skipped. */
const unreachable = new Set<string>();

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/**
 * Finish the ticket creations a crash interrupted (a portal or its database killed between the
 * ticket's insert and its history or confirmation mail): the invoice key, the `created` entry
 * (with the attachments stored in full; bytes of an upload cut short are removed) and the
 * confirmation mail, each written at most once (a unique key decides: the entry's key, the
 * invoice key, the mail's event key), then the setup row goes. A row whose ticket was never stored
 * just goes. Safe to run on several nodes at once and to repeat. A row that fails is retried by
 * the next runs and set aside (`stuck`, with its error) after setupRepairPolicy.maxAttempts.
 */
export async function completeTicketSetups(
  ctx: Ctx,
  now = new Date(),
): Promise<{ completed: number; dropped: number; failed: number }> {
  // The collection holds only creations in flight: this scan is small.
  const rows = await TicketSetup.find({
    createdAt: { $lt: new Date(now.getTime() - setupRepairPolicy.olderThanMs) },
    stuck: { $ne: true },
  })
    .limit(setupRepairPolicy.batch)
    .lean();
  let completed = 0;
  let dropped = 0;
  let failed = 0;
  for (const row of rows) {
    if (unreachable.has(String(row._id))) continue;
    try {
      if (await completeOne(ctx, row)) completed++;
      else dropped++;
      // By _id alone: the engine answers it from the index. Nothing removed: the row is gone
      // (another node) or its _id does not reach it: a failure, counted below.
      const gone = await TicketSetup.deleteOne({ _id: row._id });
      if (!gone.deletedCount) throw new Error('setup row not removed by its _id');
    } catch (err) {
      // One row the repair cannot finish never holds the others: counted, and after a few runs set aside.
      failed++;
      await recordFailure(ctx, row, err);
    }
  }
  return { completed, dropped, failed };
}

/** The writes a creation left undone; true when its ticket exists (false: never stored). */
async function completeOne(ctx: Ctx, row: TicketSetupAttrs & { _id: Types.ObjectId }): Promise<boolean> {
  // By _id alone: the engine answers it from the index.
  const ticket = await Ticket.findOne({ _id: row._id }).setOptions({ allTenants: true }).lean();
  if (!ticket || !ticket.tenantId.equals(row.tenantId)) {
    if (row.fileIds.length) await settleChosenFiles(row.tenantId, row.fileIds, false);
    return false;
  }
  const duplicateOf = await claimInvoiceKey(ticket);
  const attachments = row.fileIds.length ? await settleChosenFiles(row.tenantId, row.fileIds, true) : [];
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
  ctx.log.warn({ ticket: ticket.number }, 'ticket creation completed after an interruption');
  return true;
}

async function recordFailure(
  ctx: Ctx,
  row: TicketSetupAttrs & { _id: Types.ObjectId },
  err: unknown,
): Promise<void> {
  const attempts = (row.attempts ?? 0) + 1;
  const lastError = String((err as Error | null)?.message ?? err).slice(0, 500);
  const stuck = attempts >= setupRepairPolicy.maxAttempts;
  const put = await TicketSetup.updateOne({ _id: row._id }, { $set: { attempts, lastError, stuck } }).catch(
    () => null,
  );
  if (!put?.modifiedCount) unreachable.add(String(row._id));
  if (stuck)
    ctx.log.error(
      { ticketId: String(row._id), attempts, lastError },
      'ticket creation could not be completed; set aside',
    );
  else
    ctx.log.warn(
      { ticketId: String(row._id), attempts, lastError, recorded: Boolean(put?.modifiedCount) },
      'ticket creation not completed yet',
    );
}
