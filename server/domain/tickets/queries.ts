import { Types } from 'mongoose';
import { Tenant } from '../../../models/tenant.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { deriveCtx, isStaff, type Ctx } from '../context.js';
import { scopeAdmits, scopeFilter } from '../tenants/scope.js';
import { hiddenByRestriction, restrictionFilter } from './restriction.js';
import type { TicketListQuery } from './schemas.js';
import { literalPattern } from './search-text.js';

export const PAGE_SIZE = 50;
const activeStatuses = ['new', 'open', 'pending'];

/** The tenant a ticket number belongs to: its prefix is the tenant's code (never changed once given). */
async function tenantOfNumber(number: string): Promise<Types.ObjectId | null> {
  const code = number.slice(0, Math.max(0, number.lastIndexOf('-'))).toLowerCase();
  return code ? ((await Tenant.findOne({ code }).select({ _id: 1 }).lean())?._id ?? null) : null;
}

/**
 * Find one ticket the caller may see, by id or number (ACME-000123). A foreign one is "not found".
 * Read by `{_id}` or by `{tenantId, number}` and checked against the caller's scope afterwards:
 * the engine answers only exact unique keys from an index, and the scope's `$in` of tenants in
 * the filter would make every ticket page a scan of all tickets.
 */
export async function getTicket(ctx: Ctx, ref: string) {
  const scope = scopeFilter(ctx);
  let ticket;
  if (/^[0-9a-f]{24}$/.test(ref)) {
    ticket = await Ticket.findOne({ _id: new Types.ObjectId(ref) })
      .setOptions({ allTenants: true })
      .lean();
  } else {
    const number = ref.toUpperCase();
    const tenantId = await tenantOfNumber(number);
    ticket =
      tenantId && scopeAdmits(scope, tenantId) ? await Ticket.findOne({ tenantId, number }).lean() : null;
  }
  if (!ticket || !scopeAdmits(scope, ticket.tenantId) || hiddenByRestriction(ctx, ticket))
    throw notFound('ticket');
  return ticket;
}

/** Like getTicket, but a ticket the caller cannot see (or that does not exist) is null. */
export async function findTicket(ctx: Ctx, ref: string) {
  try {
    return await getTicket(ctx, ref);
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') return null;
    throw err;
  }
}

/**
 * A page of tickets the caller may see, newest first. Clients see their company's ("company")
 * or their own ("mine"); staff see the tenants they serve, optionally one of them.
 */
export async function listTickets(ctx: Ctx, query: TicketListQuery) {
  const filter: Record<string, unknown> = {
    ...scopeFilter(query.tenant && isStaff(ctx.actor) ? deriveCtx(ctx, { tenantId: query.tenant }) : ctx),
    ...restrictionFilter(ctx),
  };
  if (query.scope === 'mine' && ctx.actor.kind === 'user') {
    filter[isStaff(ctx.actor) ? 'assignee.id' : 'requester.id'] = new Types.ObjectId(ctx.actor.userId);
  }
  if (query.status === 'active') filter.status = { $in: activeStatuses };
  else if (query.status) filter.status = query.status;
  if (query.type) filter.type = query.type;
  if (query.priority) filter.priority = query.priority;
  if (query.q) filter.searchText = { $regex: literalPattern(query.q) };
  const skip = (query.page - 1) * PAGE_SIZE;
  const rows = await Ticket.find(filter)
    .sort({ createdAt: -1, _id: -1 })
    .skip(skip)
    .limit(PAGE_SIZE + 1)
    .select({ searchText: 0, description: 0 })
    .lean();
  return { rows: rows.slice(0, PAGE_SIZE), hasMore: rows.length > PAGE_SIZE, page: query.page };
}

/** A ticket's history, oldest first; internal entries only for staff. */
export async function listTimeline(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  since?: Date,
) {
  const filter: Record<string, unknown> = { tenantId: ticket.tenantId, ticketId: ticket._id };
  if (!isStaff(ctx.actor)) filter.visibility = 'public';
  if (since) filter.at = { $gt: since };
  return TimelineEntry.find(filter).sort({ at: 1, _id: 1 }).limit(2000).lean();
}
