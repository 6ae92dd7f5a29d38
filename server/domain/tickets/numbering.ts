import type { Types } from 'mongoose';
import { Counter } from '../../../models/counter.js';

/** Next number of a tenant's tickets, e.g. ACME-000123: one atomic $inc on the tenant's counter. */
export async function nextTicketNumber(tenantId: string, tenantCode: string): Promise<{ seq: number; number: string }> {
  // The value before the increment, plus one: the embedded engine's memory backend answers
  // 'after' with its live document, so two concurrent increments could both read the later value.
  // On the driver's collection: the query machinery costs more CPU than the round trip here.
  const before = await Counter.collection.findOneAndUpdate(
    { _id: `ticket:${tenantId}` as unknown as Types.ObjectId },
    { $inc: { seq: 1 } },
    { upsert: true, returnDocument: 'before' },
  );
  const seq = ((before?.seq as number | undefined) ?? 0) + 1;
  return { seq, number: `${tenantCode.toUpperCase()}-${String(seq).padStart(6, '0')}` };
}
