import { can } from '../auth/policy.js';
import { isStaff, type Ctx } from '../context.js';
import { movesFor } from './transitions.js';

interface FlagSource {
  status: string;
  tenantId: unknown;
  requester?: { id?: unknown } | null;
  assignee?: { id?: unknown } | null;
}

/** A closed ticket takes no more replies (addReply refuses, the page offers no reply form). */
export function mayReply(ticket: { status: string }): boolean {
  return ticket.status !== 'closed';
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
    canEdit,
    canTake: canEdit && !ticket.assignee,
    mine,
    canAssign: can(ctx.actor, 'queues.manage'),
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
