import { Types } from 'mongoose';
import { z } from 'zod';
import { AuditEvent } from '../../../models/audit-event.js';
import { areaOfAction, auditActions, auditAreas, type AuditArea } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';

/** The audit page's filters as they arrive (query string: an empty choice means none). */
export const auditQuerySchema = z.object({
  action: z
    .string()
    .regex(/^[a-z_.]{1,60}$/)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  area: z
    .enum(auditAreas)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  tenant: z
    .string()
    .regex(/^[0-9a-f]{24}$/)
    .optional()
    .or(z.literal('').transform(() => undefined)),
});

export interface AuditQuery {
  action?: string | undefined;
  area?: AuditArea | undefined;
  tenantId?: string | undefined;
  limit?: number;
  before?: Date | undefined;
}

/** Newest first, a bounded page: the engine scans without indexes (engine notes). */
export async function listAudit(ctx: Ctx, query: AuditQuery = {}) {
  requirePermission(ctx, 'audit.read');
  const filter: Record<string, unknown> = {};
  if (query.action) {
    if (query.area && areaOfAction(query.action) !== query.area) return [];
    filter.action = query.action;
  } else if (query.area) filter.action = { $in: auditActions.filter((a) => areaOfAction(a) === query.area) };
  if (query.tenantId && Types.ObjectId.isValid(query.tenantId))
    filter.tenantId = new Types.ObjectId(query.tenantId);
  if (query.before) filter.at = { $lt: query.before };
  return AuditEvent.find(filter)
    .setOptions({ allTenants: true })
    .sort({ at: -1 })
    .limit(Math.min(query.limit ?? 100, 500))
    .lean();
}
