import { Counter } from '../../../models/counter.js';

/** Next number of a tenant's tickets, e.g. ACME-000123: one atomic $inc on the tenant's counter. */
export async function nextTicketNumber(tenantId: string, tenantCode: string): Promise<{ seq: number; number: string }> {
  const counter = await Counter.findOneAndUpdate(
    { _id: `ticket:${tenantId}` },
    { $inc: { seq: 1 } },
    { upsert: true, returnDocument: 'after' },
  ).lean();
  const seq = counter?.seq ?? 1;
  return { seq, number: `${tenantCode.toUpperCase()}-${String(seq).padStart(6, '0')}` };
}
