import { z } from 'zod';
import { KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import { notFound, validation } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { loadBatch, localeOf, notOpen, openStates, personOf } from './batch.js';
import { validateRecord } from './validate-record.js';

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
    const updated = await KeyedRecord.findOneAndUpdate(
      { tenantId: ticket.tenantId, ticketId: ticket._id, seq: input.seq },
      { $set: { values: checked.values, keyedBy, keyedAt: new Date(), round: batch.round } },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) throw notFound('record');
    return updated;
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
