import type { Types } from 'mongoose';
import { z } from 'zod';
import { Attachment } from '../../../models/attachment.js';
import { LegalHold, activeHoldKey, holdScopes } from '../../../models/legal-hold.js';
import { Ticket } from '../../../models/ticket.js';
import { AppError, validation } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { parseContractInput } from '../sla/contract-input.js';
import { actorRef, isDuplicate } from '../sla/contract-tenant.js';
import { retentionTenant } from './get-retention-policy.js';

export const keyed = (key: string) => ({ message: key, params: { key } });

/** The holds page's form: what to hold (the client, a ticket by number, or one file of a ticket) and why. */
export const holdInputSchema = z.object({
  scope: z.enum(holdScopes),
  ticketNumber: z.string().trim().max(40).optional().default(''),
  filename: z.string().trim().max(300).optional().default(''),
  reason: z
    .string()
    .trim()
    .max(1000)
    .refine((s) => s.length > 0, keyed('retention.holds.errors.reason')),
});

/** The target the form names, in the client's data: a missing one is a field error, never another client's. */
async function targetOf(tenantId: Types.ObjectId, input: z.output<typeof holdInputSchema>) {
  if (input.scope === 'tenant') return { targetId: tenantId, label: null };
  if (!input.ticketNumber) throw validation([{ path: 'ticketNumber', key: 'retention.holds.errors.ticket' }]);
  const ticket = await Ticket.findOne(
    { tenantId, number: input.ticketNumber.toUpperCase() },
    { number: 1 },
  ).lean();
  if (!ticket) throw validation([{ path: 'ticketNumber', key: 'retention.holds.errors.no_ticket' }]);
  if (input.scope === 'ticket') return { targetId: ticket._id, label: ticket.number };
  const file = input.filename
    ? await Attachment.findOne(
        { tenantId, ticketId: ticket._id, filename: input.filename },
        { filename: 1 },
      ).lean()
    : null;
  if (!file) throw validation([{ path: 'filename', key: 'retention.holds.errors.no_file' }]);
  return { targetId: file._id, label: `${ticket.number} · ${file.filename}` };
}

/**
 * Places a legal hold (account managers and admins, on a client they serve). One active hold per
 * target: a second is refused by the unique active key, not by a read first, so two at once
 * cannot both succeed. Audited in the hash-chained trail (scope and target ids, no personal data).
 */
export async function placeHold(ctx: Ctx, tenantId: string, input: unknown) {
  requirePermission(ctx, 'retention.hold');
  const tenant = await retentionTenant(ctx, tenantId);
  const data = parseContractInput(holdInputSchema, input);
  const { targetId, label } = await targetOf(tenant._id, data);
  const hold = await LegalHold.create({
    tenantId: tenant._id,
    scope: data.scope,
    targetId,
    targetLabel: label ?? tenant.code,
    reason: data.reason,
    placedBy: actorRef(ctx),
    activeKey: activeHoldKey(tenant._id, data.scope, targetId),
  }).catch((err: unknown) => {
    if (isDuplicate(err))
      throw new AppError('duplicate', 'already on hold', {
        fields: [{ path: 'reason', key: 'retention.holds.errors.already' }],
      });
    throw err;
  });
  await recordAudit(ctx, {
    action: 'retention.hold_placed',
    tenantId: String(tenant._id),
    targetId: String(targetId),
    targetLabel: hold.targetLabel,
    details: { hold: String(hold._id), scope: data.scope, target: String(targetId) },
  });
  return hold;
}
