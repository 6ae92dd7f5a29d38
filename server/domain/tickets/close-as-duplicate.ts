import { z } from 'zod';
import { Ticket } from '../../../models/ticket.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { moveTicket } from './lifecycle.js';
import { notifyRequester } from './notify.js';
import { getTicket } from './queries.js';
import { appendLinkOnce, requireSameClient } from './ticket-links.js';

export const closeAsDuplicateSchema = z.object({ original: z.string().trim().min(1).max(40) });
export type CloseAsDuplicateInput = z.infer<typeof closeAsDuplicateSchema>;

/**
 * Staff close a ticket as a duplicate of another of the same client: the link is stored on the
 * duplicate (`duplicateOf`), each ticket's timeline says so (keyed entries), the duplicate is
 * closed and its requester told by mail in their language. Every step may run again: a call
 * repeated after a crash completes what the first one left.
 */
export async function closeAsDuplicate(ctx: Ctx, ref: string, input: CloseAsDuplicateInput) {
  requirePermission(ctx, 'tickets.dedupe');
  const ticket = await getTicket(ctx, ref);
  const original = await getTicket(ctx, input.original);
  requireSameClient(ticket, original);
  if (original.mergedInto)
    throw new AppError('conflict', 'the original was merged', { messageKey: 'duplicates.original_merged' });
  const link = { id: original._id, number: original.number };
  const linked = ticket.duplicateOf && String(ticket.duplicateOf.id) === String(original._id);
  if (ticket.status === 'closed' && !linked)
    throw new AppError('conflict', 'ticket already closed', { messageKey: 'duplicates.already_closed' });
  // 1. The link, set only while the ticket is still open (or already this link: a repeat).
  const stored = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, status: ticket.status },
    { $set: { duplicateOf: link, lastActivityAt: new Date() }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean();
  if (!stored)
    throw new AppError('conflict', 'ticket changed meanwhile', { messageKey: 'tickets.changed_meanwhile' });
  // 2. Both timelines, once each.
  const op = `duplicate:${String(ticket._id)}:${String(original._id)}`;
  await appendLinkOnce(ctx, stored, `${op}:dup`, {
    action: 'closed_as_duplicate_of',
    number: original.number,
  });
  await appendLinkOnce(ctx, original, `${op}:orig`, { action: 'duplicate_closed', number: stored.number });
  // 3. Closed (a repeat finds it closed and moves nothing).
  const closed = await moveTicket(ctx, stored, 'closed', { allowed: true });
  // 4. The requester, once (the outbox keys the mail by ticket and event).
  await notifyRequester(ctx, closed, 'ticket_closed_duplicate', op, { original: original.number });
  domainEvents.emit('ticket.updated', {
    tenantId: String(closed.tenantId),
    ticketId: String(closed._id),
    number: closed.number,
    version: closed.version,
    changes: ['duplicateOf'],
  });
  return closed;
}
