import { Types } from 'mongoose';
import { z } from 'zod';
import { Queue, queueOrders } from '../../../models/queue.js';
import { priorities, ticketTypes } from '../../../models/ticket.js';
import { notFound } from '../../errors/app-error.js';
import { can, requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { tenantAccess } from '../tenants/scope.js';

const list = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.enum(values), z.array(z.enum(values))])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

export const queueInputSchema = z.object({
  name: z.string().trim().min(2).max(80),
  description: z.string().trim().max(500).default(''),
  tenantIds: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .pipe(z.array(z.string().refine((id) => Types.ObjectId.isValid(id), { params: { key: 'unknown' } }))),
  types: list(ticketTypes),
  priorities: list(priorities),
  tags: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean)
        .slice(0, 20),
    ),
  order: z.enum(queueOrders).default('sla'),
});
export type QueueInput = z.infer<typeof queueInputSchema>;

const keyOf = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .slice(0, 60) || 'queue';

/**
 * Queues the caller may work: active ones whose tenants overlap the tenants they serve (a
 * queue without tenants covers all of them).
 */
export async function listQueues(ctx: Ctx, options: { includeInactive?: boolean } = {}) {
  if (!can(ctx.actor, 'queues.work') && !can(ctx.actor, 'queues.manage')) throw notFound('queues');
  const access = tenantAccess(ctx);
  const filter: Record<string, unknown> = options.includeInactive ? {} : { active: true };
  if (!access.all)
    filter.$or = [
      { tenantIds: { $size: 0 } },
      { tenantIds: { $in: access.tenantIds.map((id) => new Types.ObjectId(id)) } },
    ];
  return Queue.find(filter).sort({ name: 1 }).lean();
}

export async function getQueue(ctx: Ctx, id: string) {
  if (!Types.ObjectId.isValid(id)) throw notFound('queue');
  const queue = (await listQueues(ctx, { includeInactive: can(ctx.actor, 'queues.manage') })).find(
    (q) => String(q._id) === id,
  );
  if (!queue) throw notFound('queue');
  return queue;
}

export async function createQueue(ctx: Ctx, input: QueueInput) {
  requirePermission(ctx, 'queues.manage');
  const base = keyOf(input.name);
  const taken = await Queue.countDocuments({ key: { $regex: `^${base}(-\\d+)?$` } });
  return (await Queue.create({ ...input, key: taken ? `${base}-${taken + 1}` : base })).toObject();
}

export async function updateQueue(ctx: Ctx, id: string, input: QueueInput & { active?: boolean }) {
  requirePermission(ctx, 'queues.manage');
  await getQueue(ctx, id);
  const updated = await Queue.findByIdAndUpdate(
    id,
    { $set: input },
    { returnDocument: 'after', runValidators: true },
  ).lean();
  if (!updated) throw notFound('queue');
  return updated;
}
