import { z } from 'zod';
import { LegalHold } from '../../../models/legal-hold.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { parseContractInput } from '../sla/contract-input.js';
import { actorRef } from '../sla/contract-tenant.js';
import { isCanonicalId } from '../tenants/scope.js';
import { retentionTenant } from './get-retention-policy.js';
import { keyed } from './place-hold.js';

export const releaseInputSchema = z.object({
  reason: z
    .string()
    .trim()
    .max(1000)
    .refine((s) => s.length > 0, keyed('retention.holds.errors.reason')),
});

/** Releases an active hold, with a reason; the hold stays as the record of what was held. */
export async function releaseHold(ctx: Ctx, tenantId: string, holdId: string, input: unknown) {
  requirePermission(ctx, 'retention.hold');
  const tenant = await retentionTenant(ctx, tenantId);
  const data = parseContractInput(releaseInputSchema, input);
  if (!isCanonicalId(holdId)) throw new AppError('not_found', 'hold not found');
  const released = await LegalHold.findOneAndUpdate(
    { _id: holdId, tenantId: tenant._id, releasedAt: null },
    {
      $set: {
        releasedAt: new Date(),
        releasedBy: actorRef(ctx),
        releaseReason: data.reason,
        activeKey: `released:${holdId}`,
      },
    },
    { returnDocument: 'after' },
  ).lean();
  if (!released) throw new AppError('not_found', 'no active hold');
  await recordAudit(ctx, {
    action: 'retention.hold_released',
    tenantId: String(tenant._id),
    targetId: String(released.targetId),
    targetLabel: released.targetLabel,
    details: { hold: holdId, scope: released.scope, target: String(released.targetId) },
  });
  return released;
}
