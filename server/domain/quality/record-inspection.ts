import { z } from 'zod';
import { InspectionLot, KeyedRecord } from '../../../models/quality.js';
import { AppError, notFound, validation } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { loadBatch, personOf } from './batch.js';
import { sameId, type Difference, type Person } from './double-keying.js';

export const recordInspectionSchema = z.object({
  seq: z.coerce.number().int().min(1),
  /** The keys of the record's fields found keyed wrong against the source (none: all right). */
  wrongFields: z.array(z.string().max(40)).max(200).default([]),
});
export type RecordInspectionInput = z.infer<typeof recordInspectionSchema>;

/**
 * Everyone who keyed a value of the record: its keyer, its second keyer (double keying) and a
 * settler who typed a value of their own (choosing one of the two keyings keys nothing).
 */
type KeyerRef = { id?: Person['id'] | undefined } | null | undefined;

export function keyersOf(record: {
  keyedBy: KeyerRef;
  second?: { by?: KeyerRef } | null;
  differences?: unknown[] | null;
}): Array<Person['id']> {
  const typed = ((record.differences ?? []) as Difference[])
    .filter((d) => d.settled?.how === 'typed')
    .map((d) => d.settled?.by.id ?? null);
  return [record.keyedBy?.id ?? null, record.second?.by?.id ?? null, ...typed];
}

/**
 * A checker's finding on one sampled record of the open lot (`quality.inspect`): which fields
 * were keyed wrong. The checker is never a person who keyed the record (`keyersOf`: with double
 * keying the second keyer too): that is refused (`keying.errors.checker_is_keyer`). A finding can be changed until the lot is closed; the
 * write is conditional on the lot still being open.
 */
export async function recordInspection(ctx: Ctx, ticketRef: string, input: RecordInspectionInput) {
  requirePermission(ctx, 'quality.inspect');
  const { ticket, batch, layout } = await loadBatch(ctx, ticketRef);
  const lot = await InspectionLot.findOne({
    tenantId: ticket.tenantId,
    ticketId: ticket._id,
    round: batch.round,
  }).lean();
  if (!lot || lot.verdict !== null || batch.state !== 'inspecting') {
    throw new AppError('conflict', 'no open lot', { messageKey: 'keying.errors.no_open_lot' });
  }
  if (!lot.seqs.includes(input.seq)) {
    throw validation([{ path: 'seq', key: 'keying.errors.not_sampled' }], 'record not in the sample');
  }
  const known = new Set(layout.fields.map((f) => f.key));
  const bad = input.wrongFields.filter((f) => !known.has(f));
  if (bad.length > 0) {
    throw validation(
      bad.map((f) => ({ path: 'wrongFields', key: 'quality.field.unknown', params: { field: f } })),
      'unknown field',
    );
  }
  const record = await KeyedRecord.findOne({
    tenantId: ticket.tenantId,
    ticketId: ticket._id,
    seq: input.seq,
  }).lean();
  if (!record) throw notFound('record');
  const checker = personOf(ctx);
  if (checker.id === null || keyersOf(record).some((id) => sameId(id, checker.id))) {
    throw new AppError('forbidden', 'the checker keyed this record', {
      messageKey: 'keying.errors.checker_is_keyer',
    });
  }
  const wrong = [...new Set(input.wrongFields)];
  const res = await InspectionLot.updateOne(
    { _id: lot._id, tenantId: ticket.tenantId, verdict: null },
    { $set: { [`findings.${input.seq}`]: { wrong, by: checker, at: new Date() }, checker } },
  );
  if (res.matchedCount === 0) {
    throw new AppError('conflict', 'the lot was closed meanwhile', {
      messageKey: 'keying.errors.no_open_lot',
    });
  }
  return { seq: input.seq, wrong };
}
