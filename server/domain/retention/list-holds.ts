import { LegalHold } from '../../../models/legal-hold.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { retentionTenant } from './get-retention-policy.js';

/** A client's holds, active first, then released, newest first in each. */
export async function listHolds(ctx: Ctx, tenantId: string) {
  requirePermission(ctx, 'retention.hold');
  const tenant = await retentionTenant(ctx, tenantId);
  const rows = await LegalHold.find({ tenantId: tenant._id }).sort({ placedAt: -1 }).lean();
  return {
    tenant,
    active: rows.filter((h) => !h.releasedAt),
    released: rows.filter((h) => h.releasedAt),
  };
}
