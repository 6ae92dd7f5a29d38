import { Types } from 'mongoose';
import type { QueueAttrs, QueueOrder } from '../../../models/queue.js';
import type { Ctx } from '../context.js';
import { tenantAccess } from '../tenants/scope.js';

/** How close a deadline is for a ticket to count as breaching soon. */
export const BREACHING_SOON_MS = 4 * 3600_000;

/** Statuses that wait for an operator: pending tickets wait for the client instead. */
export const workableStatuses = ['new', 'open'] as const;

export const sortOf: Record<QueueOrder, Record<string, 1 | -1>> = {
  sla: { dueSortAt: 1, priorityRank: 1, createdAt: 1, _id: 1 },
  priority: { priorityRank: 1, dueSortAt: 1, createdAt: 1, _id: 1 },
  oldest: { createdAt: 1, _id: 1 },
  newest: { createdAt: -1, _id: -1 },
};

type QueueLike = Pick<QueueAttrs, 'tenantIds' | 'types' | 'priorities' | 'tags'>;

/**
 * The tickets of a queue that the caller may see: the queue's tenants narrowed to the caller's
 * (an operator never sees a tenant they do not serve, whatever the queue says).
 */
export function queueFilter(
  ctx: Ctx,
  queue: QueueLike,
  options: { unassignedOnly?: boolean } = { unassignedOnly: true },
) {
  const access = tenantAccess(ctx);
  const queueTenants = queue.tenantIds.map(String);
  let tenants: string[] | null = access.all ? null : access.tenantIds;
  if (queueTenants.length) tenants = tenants ? tenants.filter((t) => queueTenants.includes(t)) : queueTenants;
  const filter: Record<string, unknown> = {
    tenantId: tenants ? { $in: tenants.map((t) => new Types.ObjectId(t)) } : { $ne: null },
    status: { $in: [...workableStatuses] },
    // Restricted by an erasure (kept only under a legal obligation): never worked again.
    restrictedAt: null,
  };
  if (options.unassignedOnly !== false) filter.assignee = null;
  if (queue.types.length) filter.type = { $in: queue.types };
  if (queue.priorities.length) filter.priority = { $in: queue.priorities };
  if (queue.tags.length) filter.tags = { $in: queue.tags };
  return filter;
}

/** The same test in memory, for deciding which queues a changed ticket belongs to. */
export function ticketMatchesQueue(
  queue: QueueLike,
  ticket: {
    tenantId: unknown;
    type: string;
    priority: string;
    tags: string[];
    status: string;
    assignee?: { id?: unknown } | null;
    restrictedAt?: Date | null;
  },
): boolean {
  if (ticket.restrictedAt) return false;
  if (!(workableStatuses as readonly string[]).includes(ticket.status)) return false;
  if (ticket.assignee?.id) return false;
  if (queue.tenantIds.length && !queue.tenantIds.map(String).includes(String(ticket.tenantId))) return false;
  if (queue.types.length && !queue.types.includes(ticket.type as never)) return false;
  if (queue.priorities.length && !queue.priorities.includes(ticket.priority as never)) return false;
  if (queue.tags.length && !ticket.tags.some((t) => queue.tags.includes(t))) return false;
  return true;
}
