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

export interface TicketNumber {
  seq: number;
  number: string;
}

const numberOf = (tenantCode: string, seq: number): TicketNumber => ({
  seq,
  number: `${tenantCode.toUpperCase()}-${String(seq).padStart(6, '0')}`,
});

/** Next number of a tenant's tickets, e.g. ACME-000123. */
export async function nextTicketNumber(tenantId: string, tenantCode: string): Promise<TicketNumber> {
  return numberOf(tenantCode, await counterOf(tenantId).submit(null));
}

/**
 * `count` consecutive numbers of a tenant's tickets, in order (a batch numbering its tickets in
 * its files' order before writing them together). Asked for in one turn, they join one batch of
 * the counter's group commit: one `$inc`, the values in the order asked. A number reserved and
 * then not used (a crash before its ticket is stored) is a gap, as for a single ticket.
 */
export async function reserveTicketNumbers(
  tenantId: string,
  tenantCode: string,
  count: number,
): Promise<TicketNumber[]> {
  const group = counterOf(tenantId);
  const seqs = await Promise.all(Array.from({ length: count }, () => group.submit(null)));
  return seqs.map((seq) => numberOf(tenantCode, seq));
}
