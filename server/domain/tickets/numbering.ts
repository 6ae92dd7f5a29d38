import type { Types } from 'mongoose';
import { Counter } from '../../../models/counter.js';
import { GroupCommit } from '../../db/group-commit.js';
import { unscopedCollection } from '../../db/scoped-collection.js';

/**
 * Numbers of concurrent new tickets of one tenant are taken together: one atomic `$inc` by the
 * number waiting, each caller getting its own of the consecutive values (no gaps, no repeats, on
 * any number of nodes: the counter document decides).
 */
const counterRows = unscopedCollection(
  Counter,
  'named sequences: the tenant is in the counter key, the collection holds no tenantId',
);
const counters = new Map<string, GroupCommit<null, number>>();

function counterOf(tenantId: string): GroupCommit<null, number> {
  let group = counters.get(tenantId);
  if (!group) {
    group = new GroupCommit<null, number>(async (waiting) => {
      // The value before the increment: the embedded engine's memory backend answers 'after' with
      // its live document, so two concurrent increments could both read the later value.
      // On the driver's collection: the query machinery costs more CPU than the round trip here.
      const before = await counterRows.findOneAndUpdate(
        { _id: `ticket:${tenantId}` as unknown as Types.ObjectId },
        { $inc: { seq: waiting.length } },
        { upsert: true, returnDocument: 'before' },
      );
      const first = ((before?.seq as number | undefined) ?? 0) + 1;
      return waiting.map((_, i) => ({ ok: true as const, value: first + i }));
    });
    // Bounded: a node serving thousands of tenants keeps the busy ones.
    if (counters.size >= 10_000) counters.clear();
    counters.set(tenantId, group);
  }
  return group;
}

/** Next number of a tenant's tickets, e.g. ACME-000123. */
export async function nextTicketNumber(
  tenantId: string,
  tenantCode: string,
): Promise<{ seq: number; number: string }> {
  const seq = await counterOf(tenantId).submit(null);
  return { seq, number: `${tenantCode.toUpperCase()}-${String(seq).padStart(6, '0')}` };
}
