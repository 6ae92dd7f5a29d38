import { z } from 'zod';
import { KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import { AppError, notFound, validation } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { loadBatch, localeOf, notOpen, openStates, personOf } from './batch.js';
import { atRev, recordChanged, sameId, type Difference } from './double-keying.js';
import { appendKeyingEntry, settledEntryKey } from './keying-timeline.js';
import { validateFieldValue, type FieldValue } from './validate-record.js';

export const settleDifferencesSchema = z.object({
  seq: z.coerce.number().int().min(1),
  settle: z
    .array(
      z.object({
        key: z.string().max(40),
        choice: z.enum(['first', 'second', 'typed']),
        value: z.string().max(5000).optional(),
      }),
    )
    .min(1)
    .max(200),
});
export type SettleDifferencesInput = z.infer<typeof settleDifferencesSchema>;

/**
 * Settle differences between the two keyings of a record (`records.settle`): for each field, the
 * first keying's value, the second's, or a value typed (validated like a keyed one). The settled
 * value becomes the record's; the keyings and the choice stay on the difference (who keyed
 * what, for accuracy per keyer). The settler is neither keyer; the write is one conditional
 * update at the revision read, which also holds the settler apart from both keyers. When the
 * last difference is settled the ticket's timeline says so.
 */
export async function settleDifferences(ctx: Ctx, ticketRef: string, input: SettleDifferencesInput) {
  requirePermission(ctx, 'records.settle');
  const { ticket, batch, layout } = await loadBatch(ctx, ticketRef);
  const me = personOf(ctx);
  if (me.id === null) throw new AppError('forbidden', 'a person settles', { messageKey: 'errors.forbidden' });
  const open = await KeyingBatch.exists({
    _id: batch._id,
    tenantId: ticket.tenantId,
    state: { $in: openStates },
  });
  if (!open) throw notOpen();
  const filter = { tenantId: ticket.tenantId, ticketId: ticket._id, seq: input.seq };
  const record = await KeyedRecord.findOne(filter).lean();
  if (!record) throw notFound('record');
  const keyer = (r: { keyedBy?: { id?: unknown } | null; second?: { by?: { id?: unknown } } | null }) =>
    sameId(r.keyedBy?.id, me.id) || sameId(r.second?.by?.id, me.id);
  const keyerRefusal = () =>
    new AppError('forbidden', 'a keyer settles their own record', {
      messageKey: 'double.errors.settler_is_keyer',
    });
  if (keyer(record)) throw keyerRefusal();
  const differences = (record.differences ?? []) as Difference[];
  const set: Record<string, unknown> = {};
  const errors: { path: string; key: string; params?: Record<string, string | number> }[] = [];
  const at = new Date();
  let settledNow = 0;
  for (const [i, item] of input.settle.entries()) {
    const index = differences.findIndex((d) => d.key === item.key);
    const diff = differences[index];
    const field = layout.fields.find((f) => f.key === item.key);
    if (!diff || !field) {
      errors.push({ path: `settle.${i}.key`, key: 'double.errors.no_difference' });
      continue;
    }
    if (diff.settled) {
      throw new AppError('conflict', 'already settled', { messageKey: 'double.errors.already_settled' });
    }
    let value: FieldValue = item.choice === 'first' ? diff.first : diff.second;
    if (item.choice === 'typed') {
      const checked = validateFieldValue(field, item.value, localeOf(ctx));
      if (!checked.ok) {
        errors.push({ path: `values.${item.key}`, key: checked.key, params: checked.params });
        continue;
      }
      value = checked.value;
    }
    set[`differences.${index}.settled`] = { value, how: item.choice, by: me, at };
    set[`values.${item.key}`] = value;
    settledNow += 1;
  }
  if (errors.length > 0) throw validation(errors, 'invalid settlement');
  const written = await KeyedRecord.findOneAndUpdate(
    {
      ...filter,
      ...atRev(record.rev),
      'keyedBy.id': { $ne: me.id },
      'second.by.id': { $ne: me.id },
    },
    { $set: set, $inc: { unsettled: -settledNow, rev: 1 } },
    { returnDocument: 'after' },
  ).lean();
  if (!written) {
    const now = await KeyedRecord.findOne(filter, { keyedBy: 1, second: 1 }).lean();
    throw now && keyer(now) ? keyerRefusal() : recordChanged();
  }
  if (written.unsettled === 0) {
    await appendKeyingEntry(ctx, ticket, {
      action: 'settled',
      data: { seq: written.seq, fields: differences.length },
      key: settledEntryKey(written._id, written.second?.at),
      at,
    });
  }
  return { seq: written.seq, unsettled: written.unsettled };
}
