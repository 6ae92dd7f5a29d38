import type { Types } from 'mongoose';
import { z } from 'zod';
import { Attachment } from '../../../models/attachment.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { moveTicket } from './lifecycle.js';
import { getTicket } from './queries.js';
import { appendLinkOnce, requireSameClient } from './ticket-links.js';

export const mergeTicketsSchema = z.object({ into: z.string().trim().min(1).max(40) });
export type MergeTicketsInput = z.infer<typeof mergeTicketsSchema>;

type Stored = NonNullable<Awaited<ReturnType<typeof loadMerged>>>;

function loadMerged(tenantId: Types.ObjectId, id: Types.ObjectId) {
  return Ticket.findOne({ _id: id, tenantId }).lean();
}

/**
 * Merge one ticket into another of the same client: its timeline and attachments move to the
 * survivor, both timelines say so, and the merged ticket is closed pointing to the survivor
 * (`mergedInto`). The merged ticket itself is the merge record: `mergedInto` is claimed by one
 * conditional update (a ticket is merged once), then `mergeStep` runs the writes, each safe to
 * repeat, advancing `mergeState` moving -> linking -> done. A merge cut short by a crash is
 * finished by the next call or by `resumeMerges` (the sweep).
 */
export async function mergeTickets(ctx: Ctx, ref: string, input: MergeTicketsInput) {
  requirePermission(ctx, 'tickets.dedupe');
  const merged = await getTicket(ctx, ref);
  const survivor = await getTicket(ctx, input.into);
  requireSameClient(merged, survivor);
  if (survivor.mergedInto)
    throw new AppError('conflict', 'the survivor was merged', { messageKey: 'duplicates.original_merged' });
  const into = { id: survivor._id, number: survivor.number };
  const claimed = await Ticket.findOneAndUpdate(
    { _id: merged._id, tenantId: merged.tenantId, mergedInto: null, status: { $ne: 'closed' } },
    { $set: { mergedInto: into, mergeState: 'moving' } },
    { returnDocument: 'after' },
  ).lean();
  const record = claimed ?? (await loadMerged(merged.tenantId, merged._id));
  if (!record?.mergedInto?.id || !record.mergedInto.id.equals(survivor._id))
    throw new AppError('conflict', 'ticket already closed or merged', {
      messageKey: 'duplicates.already_closed',
    });
  return mergeStep(ctx, record);
}

/** Run what is left of a claimed merge. Idempotent: running it twice changes nothing more. */
export async function mergeStep(ctx: Ctx, merged: Stored): Promise<Stored> {
  const intoId = merged.mergedInto?.id;
  if (!intoId) return merged;
  const into = { id: intoId, number: merged.mergedInto?.number ?? '' };
  const tenantId = merged.tenantId;
  const op = `merge:${String(merged._id)}:${String(into.id)}`;
  let current = merged;
  if (current.mergeState === 'moving') {
    // Everything of the merged ticket's so far moves; nothing new is written on it before this
    // step is done (its link entry comes in the next state), so a repeat moves only what is left.
    await TimelineEntry.updateMany({ tenantId, ticketId: merged._id }, { $set: { ticketId: into.id } });
    await Attachment.updateMany({ tenantId, ticketId: merged._id }, { $set: { ticketId: into.id } });
    await Ticket.updateOne(
      { _id: merged._id, tenantId, mergeState: 'moving' },
      { $set: { mergeState: 'linking' } },
    );
    current = { ...current, mergeState: 'linking' };
  }
  if (current.mergeState === 'linking') {
    const survivor = { _id: into.id, tenantId };
    await appendLinkOnce(ctx, survivor, `${op}:survivor`, { action: 'merged_from', number: merged.number });
    await appendLinkOnce(ctx, merged, `${op}:merged`, { action: 'merged_into', number: into.number });
    const fresh = await loadMerged(tenantId, merged._id);
    if (!fresh) return current;
    if (fresh.status !== 'closed') await moveTicket(ctx, fresh, 'closed', { allowed: true });
    await Ticket.updateOne(
      { _id: merged._id, tenantId, mergeState: 'linking' },
      { $set: { mergeState: 'done' } },
    );
    const touched = await Ticket.findOneAndUpdate(
      { _id: into.id, tenantId },
      { $set: { lastActivityAt: new Date() }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    ).lean();
    if (touched)
      domainEvents.emit('ticket.updated', {
        tenantId: String(tenantId),
        ticketId: String(touched._id),
        number: touched.number,
        version: touched.version,
        changes: ['merged'],
      });
  }
  return (await loadMerged(tenantId, merged._id)) ?? current;
}

/**
 * The sweep: finish every merge left unfinished (a crash between its writes). One equality look-up
 * per state on the `mergeState` index (on MongoDB; the embedded engine scans, see jobs/ticket-merges.ts).
 */
export async function resumeMerges(ctx: Ctx): Promise<number> {
  let finished = 0;
  for (const state of ['moving', 'linking'] as const) {
    const open = await Ticket.find({ mergeState: state }).setOptions({ allTenants: true }).limit(500).lean();
    for (const t of open) await mergeStep(ctx, t);
    finished += open.length;
  }
  return finished;
}
