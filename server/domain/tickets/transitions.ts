import type { TicketStatus } from '../../../models/ticket.js';

/**
 * Who may move a ticket from which status to which. Staff run the work; clients may answer
 * (which reopens a pending ticket, see replies.ts), reopen a resolved ticket or close it.
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

export function allowedMoves(from: TicketStatus, staff: boolean): TicketStatus[] {
  return (staff ? staffMoves : clientMoves)[from];
}

/** The timestamp field a transition stamps. */
export function stampFor(from: TicketStatus, to: TicketStatus): string | null {
  if (to === 'open') return from === 'new' ? 'openedAt' : from === 'resolved' ? 'reopenedAt' : null;
  return { new: null, pending: 'pendingAt', resolved: 'resolvedAt', closed: 'closedAt' }[to];
}
