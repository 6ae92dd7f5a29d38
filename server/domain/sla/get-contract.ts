import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy } from '../../../models/sla-policy.js';
import type { Ctx } from '../context.js';
import type { PolicyDoc } from './contract-store.js';
import { contractTenant } from './contract-tenant.js';

/** One tenant's contract for its page: the calendar, the current policy and every version. */
export async function getContract(ctx: Ctx, tenantId: string) {
  const { tenant } = await contractTenant(ctx, tenantId);
  const [calendar, versions] = await Promise.all([
    SlaCalendar.findOne({ tenantId: tenant._id }).lean(),
    SlaPolicy.find({ tenantId: tenant._id }).sort({ version: -1 }).lean() as Promise<PolicyDoc[]>,
  ]);
  return { tenant, calendar, policy: versions[0] ?? null, versions };
}
