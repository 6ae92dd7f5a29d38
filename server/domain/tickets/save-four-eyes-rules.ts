import { z } from 'zod';
import { Tenant } from '../../../models/tenant.js';
import { notFound } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { forgetTenant } from '../tenants/cache.js';
import { mayAccessTenant } from '../tenants/scope.js';
import { fourEyesRulesSchema, fourEyesRulesText } from './four-eyes.js';

/** The admin tenant form's four-eyes box (one `CUR amount` per line) or a list of rules. */
export const fourEyesRulesInputSchema = z.object({ fourEyes: fourEyesRulesSchema });
export type FourEyesRulesInput = z.infer<typeof fourEyesRulesInputSchema>;

/**
 * Set a client's four-eyes thresholds (admins: `tenants.manage`), audited as a tenant change
 * naming the rules before and after; nothing is written or audited when they are the same.
 */
export async function saveFourEyesRules(ctx: Ctx, tenantId: string, input: FourEyesRulesInput) {
  requirePermission(ctx, 'tenants.manage');
  if (!mayAccessTenant(ctx, tenantId)) throw notFound('tenant');
  const rules = input.fourEyes.map((r) => ({ currency: r.currency, above: r.above }));
  const before = await Tenant.findByIdAndUpdate(
    tenantId,
    { $set: { fourEyes: rules } },
    { returnDocument: 'before', runValidators: true },
  ).lean();
  forgetTenant(tenantId);
  if (!before) throw notFound('tenant');
  const from = fourEyesRulesText(before.fourEyes);
  const to = fourEyesRulesText(rules);
  if (from === to) return rules;
  await recordAudit(ctx, {
    action: 'tenant.updated',
    tenantId,
    targetId: tenantId,
    targetLabel: before.code,
    details: { fields: ['fourEyes'], fourEyes: { from: before.fourEyes ?? [], to: rules } },
  });
  return rules;
}
