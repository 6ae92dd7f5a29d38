import { z } from 'zod';
import { Tenant } from '../../../models/tenant.js';
import { notFound } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { forgetTenant } from '../tenants/cache.js';
import { mayAccessTenant } from '../tenants/scope.js';
import { vatNumber } from '../tickets/schemas.js';

/**
 * The admin tenant form's VAT number box: empty (no number on file) or a VAT number valid for its
 * country (tickets/vat.ts, the same check as a supplier's), stored normalised.
 */
export const clientVatInputSchema = z.object({
  vatNumber: z.preprocess(
    (v) => (v === null || (typeof v === 'string' && v.trim() === '') ? undefined : v),
    vatNumber.optional().transform((v) => v ?? null),
  ),
});
export type ClientVatInput = z.infer<typeof clientVatInputSchema>;

/**
 * Set a client's VAT number (admins: `tenants.manage`), the one e-invoices sent for the client are
 * checked against (check-invoice.ts `bpo.buyer`); audited as a tenant change naming the number
 * before and after, nothing written to the audit when it is the same.
 */
export async function saveClientVat(ctx: Ctx, tenantId: string, input: ClientVatInput) {
  requirePermission(ctx, 'tenants.manage');
  if (!mayAccessTenant(ctx, tenantId)) throw notFound('tenant');
  const { vatNumber: to } = clientVatInputSchema.parse(input);
  const before = await Tenant.findByIdAndUpdate(
    tenantId,
    { $set: { vatNumber: to } },
    { returnDocument: 'before', runValidators: true },
  ).lean();
  forgetTenant(tenantId);
  if (!before) throw notFound('tenant');
  const from = before.vatNumber ?? null;
  if (from === to) return to;
  await recordAudit(ctx, {
    action: 'tenant.updated',
    tenantId,
    targetId: tenantId,
    targetLabel: before.code,
    details: { fields: ['vatNumber'], vatNumber: { from, to } },
  });
  return to;
}
