import { Types } from 'mongoose';
import { AuditEvent } from '../../../models/audit-event.js';
import type { Ctx } from '../context.js';
import { requirePermission } from './policy.js';

export type AuditAction =
  | 'auth.sign_in'
  | 'auth.sign_in_failed'
  | 'auth.sign_in_throttled'
  | 'auth.sign_out'
  | 'auth.password_reset'
  | 'user.invited'
  | 'user.created'
  | 'user.updated'
  | 'user.role_changed'
  | 'user.assignments_changed'
  | 'user.disabled'
  | 'user.enabled'
  | 'tenant.created'
  | 'tenant.updated'
  | 'tenant.suspended'
  | 'tenant.activated'
  | 'api_token.created'
  | 'api_token.revoked'
  | 'sla.calendar_saved'
  | 'sla.policy_saved';

export interface AuditInput {
  action: AuditAction;
  tenantId?: string | null;
  targetId?: string | null;
  targetLabel?: string | null;
  details?: Record<string, unknown>;
  /** For events before anyone is signed in (failed sign-in): who it was about. */
  actorEmail?: string | null;
}

export async function recordAudit(ctx: Ctx, input: AuditInput): Promise<void> {
  const actor = ctx.actor;
  await AuditEvent.create({
    at: new Date(),
    action: input.action,
    tenantId: input.tenantId ? new Types.ObjectId(input.tenantId) : null,
    actorId: actor.kind === 'user' ? new Types.ObjectId(actor.userId) : null,
    actorEmail: input.actorEmail ?? (actor.kind === 'user' ? actor.email : actor.kind === 'system' ? actor.name : null),
    targetId: input.targetId && Types.ObjectId.isValid(input.targetId) ? new Types.ObjectId(input.targetId) : null,
    targetLabel: input.targetLabel ?? null,
    ip: ctx.ip ?? null,
    requestId: ctx.requestId,
    details: input.details ?? {},
  });
}

export interface AuditQuery {
  action?: string | undefined;
  tenantId?: string | undefined;
  limit?: number;
  before?: Date | undefined;
}

/** Newest first, a bounded page: the engine scans without indexes (engine notes). */
export async function listAudit(ctx: Ctx, query: AuditQuery = {}) {
  requirePermission(ctx, 'audit.read');
  const filter: Record<string, unknown> = {};
  if (query.action) filter.action = query.action;
  if (query.tenantId && Types.ObjectId.isValid(query.tenantId)) filter.tenantId = new Types.ObjectId(query.tenantId);
  if (query.before) filter.at = { $lt: query.before };
  return AuditEvent.find(filter)
    .setOptions({ allTenants: true })
    .sort({ at: -1 })
    .limit(Math.min(query.limit ?? 100, 500))
    .lean();
}
