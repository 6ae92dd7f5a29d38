import { z } from 'zod';
import { KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import { AppError, notFound, validation } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { recordAudit } from '../audit/audit.js';
import { loadBatch, localeOf, notOpen, openStates, personOf } from './batch.js';
import { atRev, compareKeyings, doubleKeyedFields, recordChanged, sameId } from './double-keying.js';
import { validateRecord } from './validate-record.js';

export const keySecondSchema = z.object({
  seq: z.coerce.number().int().min(1),
  values: z.record(z.string(), z.string().max(5000).nullable()),
});
export type KeySecondInput = z.infer<typeof keySecondSchema>;

/**
 * The second keying of a record's critical fields (double keying, double-keying.ts), by someone
 * who did not key the record. The values are validated like a record's and compared with the
 * first keying; the fields that differ are stored as differences to settle. One conditional
 * update writes it only where the record has no second keying, another person as its keyer and
 * the revision read, so two tabs of one person, or two people at once, make one second keying.
 * The answer tells only how many fields differ, never the first keying's values.
 *
 * The second keying is in the audit log (`quality.second_keyed`, keyed by the record and the
 * keying's instant). The same person sending the same values again (a retry after a crash between
 * the record's write and its audit entry) completes the entry and gets the first answer.
 */
export async function keySecond(ctx: Ctx, ticketRef: string, input: KeySecondInput) {
  const { ticket, batch, layout } = await loadBatch(ctx, ticketRef);
  const fields = doubleKeyedFields(layout);
  if (fields.length === 0) {
    throw new AppError('conflict', 'the layout is not double keyed', {
      messageKey: 'double.errors.not_double_keyed',
    });
  }
  const checked = validateRecord({ fields }, input.values, localeOf(ctx));
  if (!checked.ok) {
    throw validation(
      checked.errors.map((e) => ({ path: `values.${e.field}`, key: e.key, params: e.params })),
      'invalid keying',
    );
  }
  const me = personOf(ctx);
  if (me.id === null) throw new AppError('forbidden', 'a person keys', { messageKey: 'errors.forbidden' });
  const open = await KeyingBatch.exists({
    _id: batch._id,
    tenantId: ticket.tenantId,
    state: { $in: openStates },
  });
  if (!open) throw notOpen();
  const filter = { tenantId: ticket.tenantId, ticketId: ticket._id, seq: input.seq };
  const record = await KeyedRecord.findOne(filter).lean();
  if (!record) throw notFound('record');
  const refuse = (why: { second?: unknown; keyedBy?: { id?: unknown } }) => {
    if (sameId(why.keyedBy?.id, me.id)) {
      return new AppError('forbidden', 'the first keyer keys a second time', {
        messageKey: 'double.errors.second_is_first',
      });
    }
    if (why.second) {
      return new AppError('conflict', 'the record is keyed twice already', {
        messageKey: 'double.errors.already_second',
      });
    }
    return null;
  };
  const mine = repeatOf(record, me.id, checked.values);
  if (mine) return completeSecondKeying(ctx, ticket, mine);
  const early = refuse(record);
  if (early) throw early;
  const differences = compareKeyings(fields, record.values as Record<string, unknown>, checked.values);
  const written = await KeyedRecord.findOneAndUpdate(
    { ...filter, ...atRev(record.rev), second: null, 'keyedBy.id': { $ne: me.id } },
    {
      $set: {
        second: { values: checked.values, by: me, at: new Date() },
        differences,
        unsettled: differences.length,
      },
      $inc: { rev: 1 },
    },
    { returnDocument: 'after' },
  ).lean();
  if (!written) {
    const now = await KeyedRecord.findOne(filter, {
      _id: 1,
      seq: 1,
      second: 1,
      keyedBy: 1,
      differences: 1,
    }).lean();
    const repeat = now && repeatOf(now, me.id, checked.values);
    if (repeat) return completeSecondKeying(ctx, ticket, repeat);
    throw (now && refuse(now)) ?? recordChanged();
  }
  return completeSecondKeying(ctx, ticket, written as SecondKeyed);
}

interface SecondKeyed {
  _id: unknown;
  seq: number;
  second: { values?: unknown; by?: { id?: unknown } | null; at?: Date | null } | null;
  differences?: Array<{ key: string }> | null;
}

/** The record, when its second keying is this person's with these values: a repeated request. */
function repeatOf(
  record: Partial<SecondKeyed> & { _id: unknown; seq: number },
  me: unknown,
  values: Record<string, unknown>,
): SecondKeyed | null {
  const second = record.second;
  if (!second || !sameId(second.by?.id, me)) return null;
  const stored = (second.values ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(stored), ...Object.keys(values)]);
  for (const key of keys) if ((stored[key] ?? null) !== (values[key] ?? null)) return null;
  return record as SecondKeyed;
}

/** The audit entry of a second keying (once, by its key) and the answer. */
async function completeSecondKeying(
  ctx: Ctx,
  ticket: { _id: unknown; tenantId: unknown; number: string },
  record: SecondKeyed,
) {
  const differences = (record.differences ?? []).map((d) => d.key);
  await recordAudit(ctx, {
    action: 'quality.second_keyed',
    key: `quality.second_keyed:${String(record._id)}:${record.second?.at?.getTime() ?? 0}`,
    tenantId: String(ticket.tenantId),
    targetId: String(ticket._id),
    targetLabel: ticket.number,
    details: { seq: record.seq, differences: differences.length, fields: differences },
  });
  return { seq: record.seq, differences: differences.length };
}
