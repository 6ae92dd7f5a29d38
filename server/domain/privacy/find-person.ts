import type { Types } from 'mongoose';
import { Ticket } from '../../../models/ticket.js';
import { User } from '../../../models/user.js';
import type { Ctx } from '../context.js';
import { escapeRegExp } from '../regex.js';
import type { PersonIdentifiers } from './person-pattern.js';

/** What the portal holds of one data subject in one client's data: how to recognise them, and where they are. */
export interface PersonFootprint {
  identifiers: PersonIdentifiers;
  /** Their sign-in accounts in this client. */
  userIds: Types.ObjectId[];
  /** Tickets they opened (as requester) or that are about them (a complaint in their name). */
  ticketIds: Types.ObjectId[];
  /** Of those, the ones a legal obligation keeps (invoices: accounting records). */
  keptTicketIds: Types.ObjectId[];
}

const exactly = (s: string) => ({ $regex: `^${escapeRegExp(s)}$`, $options: 'i' });
const uniq = (values: Array<string | null | undefined>): string[] => [
  ...new Map(
    values.filter((v): v is string => Boolean(v?.trim())).map((v) => [v.trim().toLowerCase(), v.trim()]),
  ).values(),
];

/**
 * Finds a person in a client's data from what the request says (e-mail, name, phone): their accounts
 * by e-mail, the tickets they requested (by account or e-mail) and complaints in their name; their
 * names as those records spell them join the identifiers the erasure looks for.
 */
export async function findPerson(
  _ctx: Ctx,
  tenantId: Types.ObjectId,
  subject: { email?: string | null; name?: string | null; phone?: string | null },
  extraFilter: Record<string, unknown> = {},
): Promise<PersonFootprint> {
  const email = subject.email?.trim().toLowerCase() ?? '';
  const users = email ? await User.find({ tenantId, email }, { name: 1 }).lean() : [];
  const userIds = users.map((u) => u._id);
  const names = uniq([subject.name, ...users.map((u) => u.name)]);
  const or: Record<string, unknown>[] = [];
  if (email) or.push({ 'requester.email': exactly(email) });
  if (userIds.length) or.push({ 'requester.id': { $in: userIds } });
  for (const name of names) or.push({ type: 'complaint', 'fields.customerName': exactly(name) });
  const tickets = or.length
    ? await Ticket.find({ tenantId, $or: or, ...extraFilter }, { type: 1, requester: 1 }).lean()
    : [];
  const theirs = new Set(userIds.map(String));
  for (const ticket of tickets) {
    const requester = ticket.requester;
    const byThem =
      (email && requester?.email?.toLowerCase() === email) || theirs.has(String(requester?.id ?? ''));
    if (byThem) names.push(requester?.name ?? '');
  }
  return {
    identifiers: { emails: email ? [email] : [], names: uniq(names), phones: uniq([subject.phone]) },
    userIds,
    ticketIds: tickets.map((t) => t._id),
    keptTicketIds: tickets.filter((t) => t.type === 'invoice').map((t) => t._id),
  };
}
