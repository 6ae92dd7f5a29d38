import type { Types } from 'mongoose';
import { z } from 'zod';
import { KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import { AppError, notFound, validation } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
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
 *
 * Each settlement is in the audit log (`quality.differences_settled`, keyed by the record and the
 * settlement's instant). The same person sending the same settlement again (a retry after a crash
 * between the record's write and its entries) completes the audit and timeline entries and gets
 * the first answer.
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
  const repeat = repeatedSettlement(differences, input, me.id);
  if (repeat) return completeSettlement(ctx, ticket, record, repeat);
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
    const now = await KeyedRecord.findOne(filter).lean();
    const again = now && repeatedSettlement((now.differences ?? []) as Difference[], input, me.id);
    if (now && again) return completeSettlement(ctx, ticket, now, again);
    throw now && keyer(now) ? keyerRefusal() : recordChanged();
  }
  return completeSettlement(ctx, ticket, written, at);
}

/**
 * The instant of this person's earlier settlement of exactly these fields with these choices
 * (a repeated request), or null.
 */
function repeatedSettlement(
  differences: readonly Difference[],
  input: SettleDifferencesInput,
  me: unknown,
): Date | null {
  let at: Date | null = null;
  for (const item of input.settle) {
    const settled = differences.find((d) => d.key === item.key)?.settled;
    if (!settled || settled.how !== item.choice || !sameId(settled.by.id, me)) return null;
    if (at && at.getTime() !== new Date(settled.at).getTime()) return null;
    at = new Date(settled.at);
  }
  return at;
}

/**
 * The entries of a settlement, each once by its key: the audit entry of the fields settled at
 * `at`, and the timeline's "differences settled" when none is left; then the answer.
 */
async function completeSettlement(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId; number: string },
  record: {
    _id: unknown;
    seq: number;
    unsettled?: number | null;
    differences?: unknown;
    second?: { at?: Date | null } | null;
  },
  at: Date,
) {
  const differences = (record.differences ?? []) as Difference[];
  const now = differences.filter((d) => d.settled && new Date(d.settled.at).getTime() === at.getTime());
  const unsettled = record.unsettled ?? 0;
  await recordAudit(ctx, {
    action: 'quality.differences_settled',
    key: `quality.differences_settled:${String(record._id)}:${at.getTime()}`,
    tenantId: String(ticket.tenantId),
    targetId: String(ticket._id),
    targetLabel: ticket.number,
    details: {
      seq: record.seq,
      fields: now.map((d) => ({ key: d.key, how: d.settled?.how ?? null })),
      unsettled,
    },
  });
  if (unsettled === 0) {
    await appendKeyingEntry(ctx, ticket, {
      action: 'settled',
      data: { seq: record.seq, fields: differences.length },
      key: settledEntryKey(record._id, record.second?.at),
      at,
    });
  }
  return { seq: record.seq, unsettled };
}
