import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { AuditEvent } from '../../../models/audit-event.js';
import type { Ctx } from '../context.js';
import { appendChained, chainedAreas } from './audit-chain.js';

/** Every action the audit log records, grouped by area (the part before the dot). */
export const auditActions = [
  'auth.sign_in',
  'auth.sign_in_failed',
  'auth.sign_in_throttled',
  'auth.sign_out',
  'auth.password_reset',
  'user.invited',
  'user.created',
  'user.updated',
  'user.role_changed',
  'user.assignments_changed',
  'user.disabled',
  'user.enabled',
  'tenant.created',
  'tenant.updated',
  'tenant.suspended',
  'tenant.activated',
  'api_token.created',
  'api_token.revoked',
  'sla.calendar_saved',
  'sla.policy_saved',
  'ticket.taken',
  'ticket.assigned',
  'ticket.released',
  'ticket.status_changed',
  'ticket.fields_changed',
  'ticket.attachment_deleted',
  'invoice.approved',
  'invoice.rejected',
  // No longer written (the admin override of four eyes is removed), but audit entries of it exist
  // in databases: the action keeps its label and its filter.
  'invoice.approval_overridden',
  'invoice.finding_overridden',
  'invoice.warnings_accepted',
  'webhook.registered',
  'webhook.updated',
  'webhook.secret_rotated',
  'webhook.replayed',
  'webhook.test_sent',
  'macro.saved',
  'quality.layout_saved',
  'quality.lot_accepted',
  'quality.lot_rejected',
  'quality.second_keyed',
  'quality.differences_settled',
  'quality.inspection_resumed',
  'quality.reduced_allowed',
  // Retention, legal holds and erasure: these entries are chained by hash (tamper-evident trail).
  'retention.policy_saved',
  'retention.hold_placed',
  'retention.hold_released',
  'retention.purged',
  'privacy.requested',
  'privacy.approved',
  'privacy.rejected',
  'privacy.exported',
  'privacy.erased',
] as const;
export type AuditAction = (typeof auditActions)[number];

export const auditAreas = [
  'auth',
  'user',
  'tenant',
  'api_token',
  'sla',
  'ticket',
  'invoice',
  'webhook',
  'macro',
  'quality',
  'retention',
  'privacy',
] as const;
export type AuditArea = (typeof auditAreas)[number];

export const areaOfAction = (action: string): string => action.slice(0, Math.max(0, action.indexOf('.')));

export interface AuditInput {
  action: AuditAction;
  tenantId?: string | null;
  targetId?: string | null;
  targetLabel?: string | null;
  details?: Record<string, unknown>;
  /** For events before anyone is signed in (failed sign-in): who it was about. */
  actorEmail?: string | null;
  /**
   * What makes the entry one of a kind (e.g. `quality.second_keyed:<record>:<time>`): an entry
   * with a key is written once (its id is derived from the key), so an operation repeated to
   * complete one cut short by a crash writes the entry if it is missing and never a second one.
   */
  key?: string;
}

/** The id of a keyed entry: the first 12 bytes of the key's SHA-256. */
export const auditIdOf = (key: string): Types.ObjectId =>
  new Types.ObjectId(createHash('sha256').update(`audit:${key}`).digest().subarray(0, 12));

/** A ticket action (take, assign, release, status, fields, attachment), on the ticket's tenant. */
export async function recordTicketAudit(
  ctx: Ctx,
  ticket: { _id: unknown; tenantId: unknown; number?: string | null },
  action: Extract<AuditAction, `ticket.${string}` | `invoice.${string}`>,
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordAudit(ctx, {
    action,
    tenantId: String(ticket.tenantId),
    targetId: String(ticket._id),
    targetLabel: ticket.number ?? null,
    details,
  });
}

export async function recordAudit(ctx: Ctx, input: AuditInput): Promise<void> {
  const actor = ctx.actor;
  const entry = {
    at: new Date(),
    action: input.action,
    tenantId: input.tenantId ? new Types.ObjectId(input.tenantId) : null,
    actorId: actor.kind === 'user' ? new Types.ObjectId(actor.userId) : null,
    actorEmail:
      input.actorEmail ?? (actor.kind === 'user' ? actor.email : actor.kind === 'system' ? actor.name : null),
    targetId:
      input.targetId && Types.ObjectId.isValid(input.targetId) ? new Types.ObjectId(input.targetId) : null,
    targetLabel: input.targetLabel ?? null,
    ip: ctx.ip ?? null,
    requestId: ctx.requestId,
    details: input.details ?? {},
  };
  if (chainedAreas.includes(areaOfAction(input.action))) {
    await appendChained(entry, input.key);
    return;
  }
  const created = AuditEvent.create({ ...(input.key ? { _id: auditIdOf(input.key) } : {}), ...entry });
  await created.catch((err: unknown) => {
    // A keyed entry written by an earlier (interrupted or concurrent) call.
    if (!input.key || (err as { code?: unknown } | null)?.code !== 11000) throw err;
  });
}
