import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy } from '../../../models/sla-policy.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { listTenants } from '../tenants/tenants.js';

/** The contracts of the caller's portfolio (`sla.manage`): each tenant, its calendar and newest policy. */
export async function listContracts(ctx: Ctx) {
  requirePermission(ctx, 'sla.manage');
  const tenants = await listTenants(ctx);
  if (tenants.length === 0) return [];
  const ids = tenants.map((t) => t._id);
  const [calendars, policies] = await Promise.all([
    SlaCalendar.find({ tenantId: { $in: ids } }).lean(),
    SlaPolicy.find({ tenantId: { $in: ids } })
      .select({ tenantId: 1, version: 1, createdAt: 1, createdBy: 1 })
      .lean(),
  ]);
  return tenants.map((tenant) => {
    const id = String(tenant._id);
    const policy =
      policies.filter((p) => String(p.tenantId) === id).sort((a, b) => b.version - a.version)[0] ?? null;
    return { tenant, calendar: calendars.find((c) => String(c.tenantId) === id) ?? null, policy };
  });
}
