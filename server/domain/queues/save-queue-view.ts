import { Types } from 'mongoose';
import { z } from 'zod';
import {
  QueueView,
  queueViewAssignees,
  queueViewSlaStates,
  queueViewSorts,
  type QueueViewSort,
} from '../../../models/queue-view.js';
import { priorities, ticketTypes } from '../../../models/ticket.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { literalPattern } from '../tickets/search-text.js';
import { mayAccessTenant } from '../tenants/scope.js';
import { BREACHING_SOON_MS } from './filter.js';
import { getQueue } from './queues.js';

const emptyToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

/** A person's sort and filters on one queue, as the queue page's form (GET) sends them. */
export const queueViewInputSchema = z.object({
  sort: z.preprocess(emptyToUndefined, z.enum(queueViewSorts).optional()),
  dir: z.preprocess(emptyToUndefined, z.enum(['asc', 'desc']).default('asc')),
  q: z.preprocess(emptyToUndefined, z.string().trim().max(100).default('')),
  tenantId: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[0-9a-f]{24}$/)
      .optional(),
  ),
  type: z.preprocess(emptyToUndefined, z.enum(ticketTypes).optional()),
  priority: z.preprocess(emptyToUndefined, z.enum(priorities).optional()),
  slaState: z.preprocess(emptyToUndefined, z.enum(queueViewSlaStates).optional()),
  assignee: z.preprocess(emptyToUndefined, z.enum(queueViewAssignees).default('unassigned')),
});
export type QueueViewInput = z.infer<typeof queueViewInputSchema>;

export interface QueueViewChoice {
  sort: QueueViewSort | null;
  dir: 'asc' | 'desc';
  q: string;
  tenantId: string;
  type: string;
  priority: string;
  slaState: string;
  assignee: (typeof queueViewAssignees)[number];
}

export const defaultQueueView: QueueViewChoice = {
  sort: null,
  dir: 'asc',
  q: '',
  tenantId: '',
  type: '',
  priority: '',
  slaState: '',
  assignee: 'unassigned',
};

function userIdOf(ctx: Ctx): Types.ObjectId {
  if (ctx.actor.kind !== 'user') throw new AppError('forbidden', 'people keep queue views');
  return new Types.ObjectId(ctx.actor.userId);
}

/** The caller's saved view of a queue, or the default (the queue's own order, no filter). */
export async function getQueueView(ctx: Ctx, queueId: string): Promise<QueueViewChoice> {
  requirePermission(ctx, 'queues.work');
  const queue = await getQueue(ctx, queueId);
  const saved = await QueueView.findOne({ userId: userIdOf(ctx), queueId: queue._id }).lean();
  if (!saved) return { ...defaultQueueView };
  // A client the caller no longer serves is dropped from the filter, not shown.
  const tenantId =
    saved.tenantId && mayAccessTenant(ctx, String(saved.tenantId)) ? String(saved.tenantId) : '';
  return {
    sort: (saved.sort as QueueViewSort | null) ?? null,
    dir: saved.dir === 'desc' ? 'desc' : 'asc',
    q: saved.q ?? '',
    tenantId,
    type: saved.type ?? '',
    priority: saved.priority ?? '',
    slaState: saved.slaState ?? '',
    assignee: (saved.assignee as QueueViewChoice['assignee'] | null) ?? 'unassigned',
  };
}

/**
 * Save the caller's choice for a queue: one upsert on the unique (user, queue) index, so two tabs
 * saving at once leave one row (the loser of an insert race retries as an update).
 */
export async function saveQueueView(
  ctx: Ctx,
  queueId: string,
  input: QueueViewInput,
): Promise<QueueViewChoice> {
  requirePermission(ctx, 'queues.work');
  const queue = await getQueue(ctx, queueId);
  if (input.tenantId && !mayAccessTenant(ctx, input.tenantId)) {
    throw new AppError('validation', 'client not served', {
      fields: [{ path: 'tenantId', key: 'queue_views.client_not_served' }],
    });
  }
  const $set = {
    sort: input.sort ?? null,
    dir: input.dir,
    q: input.q,
    tenantId: input.tenantId ? new Types.ObjectId(input.tenantId) : null,
    type: input.type ?? '',
    priority: input.priority ?? '',
    slaState: input.slaState ?? '',
    assignee: input.assignee,
  };
  const key = { userId: userIdOf(ctx), queueId: queue._id };
  try {
    await QueueView.updateOne(key, { $set }, { upsert: true });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    await QueueView.updateOne(key, { $set });
  }
  return getQueueView(ctx, queueId);
}

const sortFields: Record<QueueViewSort, string> = {
  due: 'dueSortAt',
  number: 'number',
  client: 'tenantId',
  subject: 'subject',
  type: 'type',
  priority: 'priorityRank',
  status: 'status',
  assignee: 'assignee.name',
  created: 'createdAt',
};

/** The sort a view asks for, ties broken by creation and id so pages are stable; null: the queue's own. */
export function viewSort(view: QueueViewChoice): Record<string, 1 | -1> | null {
  if (!view.sort) return null;
  const d = view.dir === 'desc' ? -1 : 1;
  return { [sortFields[view.sort]]: d, createdAt: d, _id: d };
}

/** The view's filters, added to the queue's own (which already holds the caller's scope). */
export function viewFilter(ctx: Ctx, view: QueueViewChoice, now = new Date()): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (view.q) filter.searchText = { $regex: literalPattern(view.q.toLowerCase()) };
  if (view.tenantId) filter.tenantId = new Types.ObjectId(view.tenantId);
  if (view.type) filter.type = view.type;
  if (view.priority) filter.priority = view.priority;
  const soon = new Date(now.getTime() + BREACHING_SOON_MS);
  const far = new Date(Date.UTC(9000, 0, 1));
  if (view.slaState === 'breached') filter.dueSortAt = { $lt: now };
  if (view.slaState === 'soon') filter.dueSortAt = { $gte: now, $lte: soon };
  if (view.slaState === 'ok') filter.dueSortAt = { $gt: soon, $lt: far };
  if (view.slaState === 'none') filter.dueSortAt = { $gte: far };
  if (view.assignee === 'me' && ctx.actor.kind === 'user')
    filter['assignee.id'] = new Types.ObjectId(ctx.actor.userId);
  return filter;
}
