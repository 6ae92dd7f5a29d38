import type { TicketStatus } from '../../../models/ticket.js';
import { can } from '../auth/policy.js';
import { isStaff, type Actor, type Ctx } from '../context.js';
import { movesFor } from './transitions.js';

interface FlagSource {
  _id: unknown;
  status: string;
  tenantId: unknown;
  requester?: { id?: unknown } | null;
  assignee?: { id?: unknown } | null;
}

/** A closed ticket takes no more replies (addReply refuses, the page offers no reply form). */
export function mayReply(ticket: { status: string }): boolean {
  return ticket.status !== 'closed';
}

/** The statuses the composer can set in the same action as sending ("send and …"). */
export const replyStatuses = ['pending', 'resolved'] as const satisfies readonly TicketStatus[];
export type ReplyStatus = (typeof replyStatuses)[number];

/** The status a public reply leaves the ticket in (see addReply): what "send and …" moves from. */
function statusAfterReply(actor: Actor, status: string): string {
  if (isStaff(actor) && status === 'new') return 'open';
  if (!isStaff(actor) && status === 'pending') return 'open';
  return status;
}

/**
 * The "send and …" choices the composer offers this caller on this ticket, in order: those the
 * caller may make (movesFor) from the status the reply leaves the ticket in.
 */
export function replyMovesFor(
  actor: Actor,
  ticket: { status: string; tenantId: unknown; requester?: { id?: unknown } | null },
): ReplyStatus[] {
  if (!mayReply(ticket)) return [];
  const moves = movesFor(actor, { ...ticket, status: statusAfterReply(actor, ticket.status) });
  return replyStatuses.filter((to) => moves.includes(to));
}

/**
 * What the ticket page offers this caller, decided here so the template only reads flags:
 * reply, edit, take, release, assign, and the status moves with the label each one reads as.
 */
export function ticketPageFlags(ctx: Ctx, ticket: FlagSource) {
  const staff = isStaff(ctx.actor);
  const canEdit = can(ctx.actor, 'queues.work');
  const mine = ctx.actor.kind === 'user' && String(ticket.assignee?.id ?? '') === ctx.actor.userId;
  return {
    staff,
    canReply: mayReply(ticket),
    /** The composer's "send and …" buttons (besides plain "send"). */
    replyMoves: replyMovesFor(ctx.actor, ticket).map((to) => ({ to, labelKey: `composer.send_${to}` })),
    canEdit,
    canTake: canEdit && !ticket.assignee,
    mine,
    /** Where the browser keeps this person's unsent draft of this ticket's reply. */
    draftKey: `desk-draft:${String(ticket._id)}:${ctx.actor.kind === 'user' ? ctx.actor.userId : ''}`,
    canAssign: can(ctx.actor, 'queues.manage'),
    /** Close as a duplicate of another ticket, or merge into one (close-as-duplicate.ts, merge-tickets.ts). */
    canDedupe: can(ctx.actor, 'tickets.dedupe') && ticket.status !== 'closed',
    moves: movesFor(ctx.actor, ticket).map((to) => ({
      to,
      labelKey:
        to === 'open' && ticket.status === 'resolved'
          ? 'moves.reopen'
          : staff
            ? `moves.${to}`
            : `settle.${to}`,
    })),
  };
}
