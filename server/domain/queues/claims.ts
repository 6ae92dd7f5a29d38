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
import { appendTimeline } from '../tickets/timeline.js';
import { mayAccessTenant } from '../tenants/scope.js';
import { queueFilter, sortOf, workableStatuses } from './filter.js';
import { getQueue } from './queues.js';

function me(ctx: Ctx) {
  if (ctx.actor.kind !== 'user') throw new AppError('forbidden', 'people claim tickets');
  return { id: new Types.ObjectId(ctx.actor.userId), name: ctx.actor.name, email: ctx.actor.email };
}

/** After a claim, assignment or release: the timeline entry and the event everybody's screen needs. */
async function recordAssignment(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId; number: string; version: number },
  kind: 'claimed' | 'assigned' | 'released',
  to: { name: string } | null,
  from: { name?: string | null } | null,
) {
  await appendTimeline(ctx, ticket, {
    kind: 'assignment',
    visibility: 'internal',
    data: { action: kind, to: to?.name ?? null, from: from?.name ?? null },
  });
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

const claimUpdate = (assignee: { id: Types.ObjectId; name: string; email: string }, now: Date) => ({
  $set: { assignee, assignedAt: now, lastActivityAt: now },
  $inc: { version: 1 },
});

/** A new ticket someone starts working on is open from then on (conditional: only if still new). */
async function openIfNew<T extends { _id: Types.ObjectId; tenantId: Types.ObjectId; status: string }>(
  ticket: T,
  now: Date,
): Promise<T> {
  if (ticket.status !== 'new') return ticket;
  const opened = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, status: 'new' },
    { $set: { status: 'open', openedAt: now }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean();
  return (opened as T | null) ?? ticket;
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
  const claimed = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, assignee: null, status: { $in: [...workableStatuses] } },
    claimUpdate(assignee, now),
    { returnDocument: 'after' },
  ).lean();
  if (claimed) {
    const opened = await openIfNew(claimed, now);
    await recordAssignment(ctx, opened, 'claimed', assignee, null);
    return opened;
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
  const claimed = await Ticket.findOneAndUpdate(queueFilter(ctx, queue), claimUpdate(assignee, now), {
    returnDocument: 'after',
    sort: sortOf[queue.order],
  }).lean();
  if (!claimed) return null;
  const opened = await openIfNew(claimed, now);
  await recordAssignment(ctx, opened, 'claimed', assignee, null);
  return opened;
}

/** Give a ticket back to the queue (its assignee), or take it away from anyone (team leads). */
export async function releaseTicket(ctx: Ctx, ref: string) {
  requirePermission(ctx, 'queues.work');
  const ticket = await getTicket(ctx, ref);
  if (!ticket.assignee) return ticket;
  const mine = ctx.actor.kind === 'user' && String(ticket.assignee.id ?? '') === ctx.actor.userId;
  if (!mine) requirePermission(ctx, 'queues.manage');
  const released = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, 'assignee.id': ticket.assignee.id },
    { $set: { assignee: null, assignedAt: null, lastActivityAt: new Date() }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean();
  if (!released)
    throw new AppError('conflict', 'assignment changed', { messageKey: 'tickets.changed_meanwhile' });
  await recordAssignment(ctx, released, 'released', null, ticket.assignee);
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
    },
    { returnDocument: 'after' },
  ).lean();
  if (!updated)
    throw new AppError('conflict', 'ticket changed meanwhile', { messageKey: 'tickets.changed_meanwhile' });
  await recordAssignment(ctx, updated, 'assigned', assignee, ticket.assignee ?? null);
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
  const claimed = await Ticket.findOneAndUpdate(
    {
      _id: ticket._id,
      tenantId: ticket.tenantId,
      assignee: null,
      status: { $in: [...workableStatuses, 'pending'] },
    },
    claimUpdate(assignee, now),
    { returnDocument: 'after' },
  ).lean();
  if (!claimed) return null;
  await recordAssignment(ctx, claimed, 'claimed', assignee, null);
  return claimed;
}
