import { can } from '../auth/policy.js';
import type { Ctx } from '../context.js';

/**
 * Tickets restricted by a data subject's erasure (kept under a legal obligation, server/domain/privacy/)
 * are seen by admins only: every ticket read for people goes through these two.
 */
export const readsRestricted = (ctx: Ctx): boolean => can(ctx.actor, 'privacy.restricted');

/** The filter clause a listing adds: nothing for admins, "not restricted" for everyone else. */
export function restrictionFilter(ctx: Ctx): { restrictedAt?: null } {
  return readsRestricted(ctx) ? {} : { restrictedAt: null };
}

/** Whether a ticket read by its key is hidden from the caller (it then reads as not found). */
export function hiddenByRestriction(ctx: Ctx, ticket: { restrictedAt?: Date | null }): boolean {
  return Boolean(ticket.restrictedAt) && !readsRestricted(ctx);
}
