import { Types } from 'mongoose';
import { Ticket, ticketTypes, type TicketStatus, type TicketType } from '../../../models/ticket.js';
import { AppError } from '../../errors/app-error.js';
import { can } from '../auth/policy.js';
import { isClient, type Ctx } from '../context.js';
import { restrictionFilter } from '../tickets/restriction.js';
import { scopeFilter } from '../tenants/scope.js';

/** Rows in each list of a client's home page; the ticket list has the rest. */
export const CLIENT_HOME_ROWS = 20;

const rowFields = { number: 1, subject: 1, type: 1, status: 1, createdAt: 1, lastActivityAt: 1 } as const;

/**
 * A client's home page: the tickets they asked for that are still open (new or being worked),
 * those waiting on them (pending: staff asked them something), most recently active first, and
 * the kinds of ticket they may open. Only their own tickets, of their own company.
 */
export async function clientHome(ctx: Ctx) {
  const actor = ctx.actor;
  if (!isClient(actor) || actor.kind !== 'user') throw new AppError('forbidden', 'not a client');
  const mine = {
    ...scopeFilter(ctx),
    'requester.id': new Types.ObjectId(actor.userId),
    ...restrictionFilter(ctx),
  };
  const list = (statuses: TicketStatus[]) =>
    Ticket.find({ ...mine, status: { $in: statuses } })
      .sort({ lastActivityAt: -1, _id: -1 })
      .limit(CLIENT_HOME_ROWS + 1)
      .select(rowFields)
      .lean();
  const [open, waiting] = await Promise.all([list(['new', 'open']), list(['pending'])]);
  const types: readonly TicketType[] = can(actor, 'tickets.open') ? ticketTypes : [];
  return {
    open: open.slice(0, CLIENT_HOME_ROWS),
    moreOpen: open.length > CLIENT_HOME_ROWS,
    waiting: waiting.slice(0, CLIENT_HOME_ROWS),
    moreWaiting: waiting.length > CLIENT_HOME_ROWS,
    types,
  };
}
