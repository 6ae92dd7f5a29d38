import { Types } from 'mongoose';
import { z } from 'zod';
import { Ticket } from '../../../models/ticket.js';
import { User } from '../../../models/user.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { recordTicketAudit } from '../audit/audit.js';
import { can, requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { getTicket } from '../tickets/queries.js';
import {
  carrying,
  pendingEntry,
  writePendingEntries,
  type PendingEntry,
} from '../tickets/pending-entries.js';
import { mayAccessTenant } from '../tenants/scope.js';
import { queueFilter, sortOf, workableStatuses } from './filter.js';
import { getQueue } from './queues.js';

function me(ctx: Ctx) {
  if (ctx.actor.kind !== 'user') throw new AppError('forbidden', 'people claim tickets');
  return { id: new Types.ObjectId(ctx.actor.userId), name: ctx.actor.name, email: ctx.actor.email };
}

/** The timeline entry of an assignment, carried by the ticket update that makes it (pending-entries.ts). */
const assignmentEntry = (
  ctx: Ctx,
  kind: 'claimed' | 'assigned' | 'released',
  to: { name: string } | null,
  from: { name?: string | null } | null,
  at: Date,
): PendingEntry =>
  pendingEntry(ctx, {
    kind: 'assignment',
    visibility: 'internal',
    data: { action: kind, to: to?.name ?? null, from: from?.name ?? null },
    at,
  });

/**
 * After a claim, assignment or release: the timeline entries its update carried (the assignment,
 * and the status change of a new ticket it opened), the audit and the event everybody's screen needs.
 */
async function recordAssignment(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId; number: string; version: number },
  kind: 'claimed' | 'assigned' | 'released',
  to: { name: string } | null,
  from: { name?: string | null } | null,
  entries: PendingEntry[],
) {
  await writePendingEntries(ctx, ticket, entries);
  await recordTicketAudit(
    ctx,
    ticket,
    kind === 'claimed' ? 'ticket.taken' : kind === 'assigned' ? 'ticket.assigned' : 'ticket.released',
    {
      to: to?.name ?? null,
      from: from?.name ?? null,
    },
  );
  domainEvents.emit(kind === 'released' ? 'ticket.released' : 'ticket.claimed', {
    tenantId: String(ticket.tenantId),
    ticketId: String(ticket._id),
    number: ticket.number,
    version: ticket.version,
    assignee: to ? { name: to.name } : null,
  });
}

const claimUpdate = (
  assignee: { id: Types.ObjectId; name: string; email: string },
  now: Date,
  entry: PendingEntry,
) => ({
  $set: { assignee, assignedAt: now, lastActivityAt: now },
  $inc: { version: 1 },
  ...carrying([entry]),
});

/** The status entry of a new ticket opened by taking or assigning it. */
const openedEntry = (ctx: Ctx, at: Date): PendingEntry =>
  pendingEntry(ctx, { kind: 'status', visibility: 'public', data: { from: 'new', to: 'open' }, at });

/**
 * A new ticket someone starts working on is open from then on (conditional: only if still new);
 * the update carries its status entry. Returns the ticket and the entries still to write.
 */
async function openIfNew<T extends { _id: Types.ObjectId; tenantId: Types.ObjectId; status: string }>(
  ctx: Ctx,
  ticket: T,
  now: Date,
  claim: PendingEntry,
): Promise<{ ticket: T; entries: PendingEntry[] }> {
  if (ticket.status !== 'new') return { ticket, entries: [claim] };
  const status = openedEntry(ctx, now);
  const opened = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, status: 'new' },
    { $set: { status: 'open', openedAt: now }, $inc: { version: 1 }, ...carrying([status]) },
    { returnDocument: 'after' },
  ).lean();
  return opened ? { ticket: opened as T, entries: [claim, status] } : { ticket, entries: [claim] };
}

/**
 * "Take": assign an unassigned ticket to myself. One conditional update decides; the loser is
 * told who won.
 */
export async function takeTicket(ctx: Ctx, ref: string) {
  requirePermission(ctx, 'queues.work');
  const ticket = await getTicket(ctx, ref);
  const assignee = me(ctx);
  const now = new Date();
  const claim = assignmentEntry(ctx, 'claimed', assignee, null, now);
  const claimed = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, assignee: null, status: { $in: [...workableStatuses] } },
    claimUpdate(assignee, now, claim),
    { returnDocument: 'after' },
  ).lean();
  if (claimed) {
    const opened = await openIfNew(ctx, claimed, now, claim);
    await recordAssignment(ctx, opened.ticket, 'claimed', assignee, null, opened.entries);
    return opened.ticket;
  }
  const current = await Ticket.findOne({ _id: ticket._id, tenantId: ticket.tenantId }).lean();
  if (current?.assignee?.id && String(current.assignee.id) === String(assignee.id)) return current;
  if (current?.assignee) {
    throw new AppError('conflict', 'already taken', {
      messageKey: 'queues.taken_by',
      params: { name: current.assignee.name ?? '?' },
    });
  }
  throw new AppError('conflict', 'not workable', { messageKey: 'queues.not_workable' });
}

/**
 * "Get next": the most urgent unassigned ticket of the queue (or of all my queues' tenants)
 * becomes mine. findOneAndUpdate with a sort picks and claims in one step, so fifty operators
 * pressing it at once get fifty different tickets.
 */
export async function takeNext(ctx: Ctx, queueId?: string) {
  requirePermission(ctx, 'queues.work');
  const queue = queueId
    ? await getQueue(ctx, queueId)
    : { tenantIds: [], types: [], priorities: [], tags: [], order: 'sla' as const };
  const assignee = me(ctx);
  const now = new Date();
  const claim = assignmentEntry(ctx, 'claimed', assignee, null, now);
  const claimed = await Ticket.findOneAndUpdate(queueFilter(ctx, queue), claimUpdate(assignee, now, claim), {
    returnDocument: 'after',
    sort: sortOf[queue.order],
  }).lean();
  if (!claimed) return null;
  const opened = await openIfNew(ctx, claimed, now, claim);
  await recordAssignment(ctx, opened.ticket, 'claimed', assignee, null, opened.entries);
  return opened.ticket;
}

/** Give a ticket back to the queue (its assignee), or take it away from anyone (team leads). */
export async function releaseTicket(ctx: Ctx, ref: string) {
  requirePermission(ctx, 'queues.work');
  const ticket = await getTicket(ctx, ref);
  if (!ticket.assignee) return ticket;
  const mine = ctx.actor.kind === 'user' && String(ticket.assignee.id ?? '') === ctx.actor.userId;
  if (!mine) requirePermission(ctx, 'queues.manage');
  const now = new Date();
  const entry = assignmentEntry(ctx, 'released', null, ticket.assignee, now);
  const released = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, 'assignee.id': ticket.assignee.id },
    {
      $set: { assignee: null, assignedAt: null, lastActivityAt: now },
      $inc: { version: 1 },
      ...carrying([entry]),
    },
    { returnDocument: 'after' },
  ).lean();
  if (!released)
    throw new AppError('conflict', 'assignment changed', { messageKey: 'tickets.changed_meanwhile' });
  await recordAssignment(ctx, released, 'released', null, ticket.assignee, [entry]);
  return released;
}

/** Team leads assign or reassign to an operator who serves the ticket's tenant. */
/** The input of `assignTicket` besides the ticket: whom to assign it to. */
export const assignInputSchema = z.object({ userId: z.string().regex(/^[0-9a-f]{24}$/) });

export async function assignTicket(ctx: Ctx, ref: string, userId: string) {
  requirePermission(ctx, 'queues.manage');
  const ticket = await getTicket(ctx, ref);
  if (!Types.ObjectId.isValid(userId)) throw notFound('user');
  const user = await User.findOne({
    _id: userId,
    tenantId: null,
    status: 'active',
    role: { $in: ['operator', 'team_lead', 'admin'] },
  }).lean();
  const servesTenant =
    user && (user.role === 'admin' || user.tenantIds.map(String).includes(String(ticket.tenantId)));
  if (!user || !servesTenant) {
    throw new AppError('validation', 'cannot assign', {
      fields: [{ path: 'assignee', key: 'queues.assignee_not_serving' }],
    });
  }
  if (!mayAccessTenant(ctx, String(ticket.tenantId))) throw notFound('ticket');
  const assignee = { id: user._id, name: user.name, email: user.email };
  const now = new Date();
  // Assigning a new ticket opens it: both entries ride on the one update.
  const entries = [
    assignmentEntry(ctx, 'assigned', assignee, ticket.assignee ?? null, now),
    ...(ticket.status === 'new' ? [openedEntry(ctx, now)] : []),
  ];
  const updated = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, version: ticket.version },
    {
      $set: {
        assignee,
        assignedAt: now,
        lastActivityAt: now,
        ...(ticket.status === 'new' ? { status: 'open', openedAt: now } : {}),
      },
      $inc: { version: 1 },
      ...carrying(entries),
    },
    { returnDocument: 'after' },
  ).lean();
  if (!updated)
    throw new AppError('conflict', 'ticket changed meanwhile', { messageKey: 'tickets.changed_meanwhile' });
  await recordAssignment(ctx, updated, 'assigned', assignee, ticket.assignee ?? null, entries);
  return updated;
}

/** Who a team lead may assign a ticket of this tenant to: active operators and leads serving it, and admins. */
export async function assignableStaff(ctx: Ctx, tenantId: string) {
  requirePermission(ctx, 'queues.manage');
  if (!mayAccessTenant(ctx, tenantId)) throw notFound('tenant');
  return User.find({
    tenantId: null,
    status: 'active',
    $or: [
      { role: 'admin' },
      { role: { $in: ['operator', 'team_lead'] }, tenantIds: new Types.ObjectId(tenantId) },
    ],
  })
    .sort({ name: 1 })
    .select({ name: 1, role: 1 })
    .lean();
}

/**
 * A staff member who answers an unassigned ticket takes it: the same one conditional update as
 * "take" (only while nobody has it), so a concurrent take or assignment wins and stays. Returns
 * the ticket as assigned, or null when it was not (someone has it, or the caller does not work
 * tickets).
 */
export async function claimOnReply<T extends { _id: Types.ObjectId; tenantId: Types.ObjectId }>(
  ctx: Ctx,
  ticket: T,
) {
  if (ctx.actor.kind !== 'user' || ctx.actor.tenantId !== null || !can(ctx.actor, 'queues.work')) return null;
  const assignee = me(ctx);
  const now = new Date();
  const claim = assignmentEntry(ctx, 'claimed', assignee, null, now);
  const claimed = await Ticket.findOneAndUpdate(
    {
      _id: ticket._id,
      tenantId: ticket.tenantId,
      assignee: null,
      status: { $in: [...workableStatuses, 'pending'] },
    },
    claimUpdate(assignee, now, claim),
    { returnDocument: 'after' },
  ).lean();
  if (!claimed) return null;
  await recordAssignment(ctx, claimed, 'claimed', assignee, null, [claim]);
  return claimed;
}
