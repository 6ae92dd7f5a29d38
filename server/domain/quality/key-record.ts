import { z } from 'zod';
import { KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import type { Types } from 'mongoose';
import { AppError, notFound, validation } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { loadBatch, localeOf, notOpen, openStates, personOf } from './batch.js';
import { atRev, doubleKeyedFields, recordChanged, sameId } from './double-keying.js';
import type { LayoutField } from './record-layout.js';
import { validateRecord, type FieldValue } from './validate-record.js';

export const keyRecordSchema = z.object({
  /** The record to change; absent: a new record at the end of the batch. */
  seq: z.coerce.number().int().min(1).optional(),
  values: z.record(z.string(), z.string().max(5000).nullable()),
});
export type KeyRecordInput = z.infer<typeof keyRecordSchema>;

/**
 * Key one record of a ticket's batch, or change one (while the batch is being keyed or
 * reworked). The values are validated against the layout in the keyer's locale (the keying
 * screen checked them as typed; this is the check that counts) and stored normalised. A new
 * record takes its number from one conditional increment on the batch, which fails once the
 * batch is finished, so no record joins a lot after its sample was drawn.
 */
export async function keyRecord(ctx: Ctx, ticketRef: string, input: KeyRecordInput) {
  const { ticket, batch, layout } = await loadBatch(ctx, ticketRef);
  const checked = validateRecord(layout, input.values, localeOf(ctx));
  if (!checked.ok) {
    throw validation(
      checked.errors.map((e) => ({ path: `values.${e.field}`, key: e.key, params: e.params })),
      'invalid record',
    );
  }
  const keyedBy = personOf(ctx);
  if (input.seq !== undefined) {
    const open = await KeyingBatch.exists({
      _id: batch._id,
      tenantId: ticket.tenantId,
      state: { $in: openStates },
    });
    if (!open) throw notOpen();
    return changeRecord(ticket, input.seq, doubleKeyedFields(layout), {
      values: checked.values,
      keyedBy,
      keyedAt: new Date(),
      round: batch.round,
    });
  }
  const reserved = await KeyingBatch.findOneAndUpdate(
    { _id: batch._id, tenantId: ticket.tenantId, state: { $in: openStates } },
    { $inc: { nextSeq: 1 } },
    { returnDocument: 'before' },
  ).lean();
  if (!reserved) throw notOpen();
  const created = await KeyedRecord.create({
    tenantId: ticket.tenantId,
    ticketId: ticket._id,
    seq: reserved.nextSeq,
    values: checked.values,
    keyedBy,
    round: reserved.round,
  });
  return created.toObject();
}

/**
 * Change a keyed record. With double keying, the second keyer never changes the first keying
 * (they would be both), and a change of a double-keyed value drops the second keying and its
 * settled differences: the record is keyed twice again. Both hold by one update conditional on
 * the revision read and on the editor not being the second keyer.
 */
async function changeRecord(
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  seq: number,
  doubled: LayoutField[],
  set: { values: Record<string, FieldValue>; keyedBy: { id: Types.ObjectId | null; name: string } } & Record<
    string,
    unknown
  >,
) {
  const filter = { tenantId: ticket.tenantId, ticketId: ticket._id, seq };
  const record = await KeyedRecord.findOne(filter).lean();
  if (!record) throw notFound('record');
  const secondKeyer = (r: { second?: { by?: { id?: unknown } } | null }) =>
    sameId(r.second?.by?.id, set.keyedBy.id);
  const refusal = () =>
    new AppError('forbidden', 'the second keyer changes the first keying', {
      messageKey: 'double.errors.second_keyer_edits',
    });
  if (doubled.length > 0 && secondKeyer(record)) throw refusal();
  const old = record.values as Record<string, unknown>;
  const rekey = doubled.some((f) => (old[f.key] ?? null) !== (set.values[f.key] ?? null));
  const updated = await KeyedRecord.findOneAndUpdate(
    {
      ...filter,
      ...atRev(record.rev),
      ...(doubled.length > 0 && set.keyedBy.id ? { 'second.by.id': { $ne: set.keyedBy.id } } : {}),
    },
    {
      $set: { ...set, ...(rekey ? { second: null, differences: [], unsettled: 0 } : {}) },
      $inc: { rev: 1 },
    },
    { returnDocument: 'after' },
  ).lean();
  if (!updated) {
    const now = await KeyedRecord.findOne(filter, { second: 1 }).lean();
    throw now && doubled.length > 0 && secondKeyer(now) ? refusal() : recordChanged();
  }
  return updated;
}
