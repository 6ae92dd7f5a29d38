import type { Types } from 'mongoose';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { authorOf } from '../auth/authors.js';
import { AppError } from '../../errors/app-error.js';
import { isStaff, type Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { notifyRequester } from './notify.js';
import { getTicket } from './queries.js';
import { mayReply } from './page-flags.js';
import type { ReplyInput } from './schemas.js';
import { appendTimeline } from './timeline.js';
import { carrying, pendingEntry, writePendingEntries } from './pending-entries.js';
import { noteSlaDue } from '../sla/due-list.js';
import { slaAfter, type SlaChange } from '../sla/ticket-clock.js';
import { sniffType, storeAttachments, type IncomingFile } from './attachments.js';

/**
 * Someone else answered after the author loaded the page: say so before sending, so two people
 * do not send the client contradicting answers. (Internal notes count for staff only.)
 */
async function assertNoNewerReply(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  seenAt: Date,
  staff: boolean,
) {
  const me = authorOf(ctx).id;
  const newer = await TimelineEntry.findOne({
    tenantId: ticket.tenantId,
    ticketId: ticket._id,
    kind: { $in: staff ? ['reply', 'note'] : ['reply'] },
    at: { $gt: seenAt },
    'author.id': { $ne: me },
  })
    .sort({ at: -1 })
    .lean();
  if (newer) {
    throw new AppError('conflict', 'someone replied meanwhile', {
      messageKey: 'tickets.reply_collision',
      params: { name: newer.author?.name ?? '?' },
      fields: [
        { path: 'confirm', key: 'tickets.reply_collision', params: { name: newer.author?.name ?? '?' } },
      ],
    });
  }
}

/**
 * Add a public reply or (staff only) an internal note. A staff member's first public reply
 * is the ticket's first response and opens a new ticket; a client's reply to a ticket pending
 * on them puts it back to open.
 */
// Long function: one multi-step write (ticket, first response, files, entry, mail) in its crash-safe order.
export async function addReply(
  ctx: Ctx,
  ref: string,
  input: ReplyInput,
  files: IncomingFile[] = [],
  /** `entryData`: what the reply's entry records besides its text (a macro and its changes). */
  options: { entryData?: Record<string, unknown> } = {},
) {
  const staff = isStaff(ctx.actor);
  if (input.internal && !staff) throw new AppError('forbidden', 'clients cannot write internal notes');
  const ticket = await getTicket(ctx, ref);
  // Refuse a bad file before anything is written.
  for (const file of files) await sniffType(file);
  if (!mayReply(ticket)) throw new AppError('conflict', 'ticket is closed', { messageKey: 'tickets.closed' });
  if (input.seenAt && !input.confirm) await assertNoNewerReply(ctx, ticket, new Date(input.seenAt), staff);
  const now = new Date();
  const $set: Record<string, unknown> = { lastActivityAt: now };
  let statusFrom: string | null = null;
  if (!input.internal) {
    if (staff && ticket.status === 'new') statusFrom = 'new';
    if (!staff && ticket.status === 'pending') statusFrom = 'pending';
    if (statusFrom) $set.status = 'open';
    if (statusFrom === 'new') $set.openedAt = now;
  }
  // The first public staff reply meets the first-response target; a client's answer resumes the clock.
  const slaChange: SlaChange | null =
    staff && !input.internal && !ticket.firstResponseAt
      ? { kind: 'firstResponse', at: now }
      : statusFrom === 'pending'
        ? { kind: 'resume', at: now }
        : null;
  const clock = slaChange ? await slaAfter(ticket, slaChange) : null;
  if (clock) Object.assign($set, clock);
  const filter: Record<string, unknown> = { _id: ticket._id, tenantId: ticket.tenantId };
  if (statusFrom) filter.status = statusFrom;
  // A status change's entry rides on the update (pending-entries.ts).
  const statusEntry = statusFrom
    ? pendingEntry(ctx, {
        kind: 'status',
        visibility: 'public',
        data: { from: statusFrom, to: 'open' },
        at: now,
      })
    : null;
  const updated = await Ticket.findOneAndUpdate(
    filter,
    { $set, $inc: { version: 1 }, ...(statusEntry ? carrying([statusEntry]) : {}) },
    { returnDocument: 'after' },
  ).lean();
  if (!updated)
    throw new AppError('conflict', 'ticket changed meanwhile', { messageKey: 'tickets.changed_meanwhile' });
  if (clock) await noteSlaDue(updated, ticket);
  if (staff && !input.internal) {
    // Only the first public staff reply counts: conditional on firstResponseAt still being empty.
    await Ticket.updateOne(
      { _id: ticket._id, tenantId: ticket.tenantId, firstResponseAt: null },
      { $set: { firstResponseAt: now } },
    );
  }
  const stored = files.length
    ? await storeAttachments(ctx, updated, files, input.internal ? 'internal' : 'public')
    : [];
  const entry = await appendTimeline(ctx, updated, {
    kind: input.internal ? 'note' : 'reply',
    visibility: input.internal ? 'internal' : 'public',
    body: input.body,
    attachmentIds: stored.map((a) => a._id),
    at: now,
    ...(options.entryData ? { data: options.entryData } : {}),
  });
  if (statusEntry) await writePendingEntries(ctx, updated, [statusEntry]);
  if (staff && !input.internal) {
    await notifyRequester(ctx, updated, 'ticket_replied', `reply:${String(entry._id)}`, {
      author: entry.author?.name ?? '',
      excerpt: input.body.length > 600 ? `${input.body.slice(0, 600)}…` : input.body,
    });
  }
  domainEvents.emit('ticket.commented', {
    tenantId: String(updated.tenantId),
    ticketId: String(updated._id),
    number: updated.number,
    version: updated.version,
    internal: input.internal === true,
  });
  return { ticket: updated, entry: entry.toObject() };
}
