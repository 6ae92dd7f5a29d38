import type { TicketStatus } from '../../../models/ticket.js';
import { canSettleTicket } from '../auth/policy.js';
import { isStaff, type Actor } from '../context.js';

/**
 * Who may move a ticket from which status to which. Staff run the work; clients may answer
 * (which reopens a pending ticket, see replies.ts), reopen a resolved ticket or close it, and
 * settle their own ticket at any time: mark it solved or close it (policy `tickets.settle`).
 */
const staffMoves: Record<TicketStatus, TicketStatus[]> = {
  new: ['open', 'pending', 'resolved'],
  open: ['pending', 'resolved'],
  pending: ['open', 'resolved'],
  resolved: ['open', 'closed'],
  closed: [],
};
const clientMoves: Record<TicketStatus, TicketStatus[]> = {
  new: [],
  open: [],
  pending: [],
  resolved: ['open', 'closed'],
  closed: [],
};

/** What a client who may settle the ticket (canSettleTicket) can do besides. */
const settleMoves: Record<TicketStatus, TicketStatus[]> = {
  new: ['resolved', 'closed'],
  open: ['resolved', 'closed'],
  pending: ['resolved', 'closed'],
  resolved: ['open', 'closed'],
  closed: [],
};

/** The moves this caller may make on this ticket. */
export function movesFor(
  actor: Actor,
  ticket: { status: string; tenantId: unknown; requester?: { id?: unknown } | null },
): TicketStatus[] {
  const from = ticket.status as TicketStatus;
  if (isStaff(actor)) return staffMoves[from];
  return canSettleTicket(actor, ticket) ? settleMoves[from] : clientMoves[from];
}

/** The timestamp field a transition stamps. */
export function stampFor(from: TicketStatus, to: TicketStatus): string | null {
  if (to === 'open') return from === 'new' ? 'openedAt' : from === 'resolved' ? 'reopenedAt' : null;
  return { new: null, pending: 'pendingAt', resolved: 'resolvedAt', closed: 'closedAt' }[to];
}
