import type { Types } from 'mongoose';
import { AppError } from '../../errors/app-error.js';
import type { LayoutField, RecordLayout } from './record-layout.js';
import type { FieldValue } from './validate-record.js';

/**
 * Double keying (issue #18 item 3). When a layout has `doubleKeyCritical` and critical fields,
 * every record's critical fields are keyed twice, independently, by two different people: the
 * record's keyer (`keyedBy`, key-record.ts) and a second keyer (`second`, key-second.ts) who never
 * sees the first keying's values. The critical fields whose keyings differ are stored as
 * `differences`, and a third person with `records.settle` (settle-differences.ts) chooses each
 * value. A record is complete when it has its second keying and no unsettled difference; a batch
 * with an incomplete record is not finished (finish-batch.ts).
 *
 * Who keyed what is enforced by conditional updates on the record itself (never read-then-write):
 * the second keying is written only where `second` is null and `keyedBy` is someone else, an
 * edit of the first keying only where the editor is not the second keyer, a settlement only where
 * the settler is neither; all of them only at the `rev` they read, which every write bumps.
 */

export interface Person {
  id: Types.ObjectId | null;
  name: string;
}

export interface Difference {
  key: string;
  first: FieldValue;
  second: FieldValue;
  settled: null | { value: FieldValue; how: 'first' | 'second' | 'typed'; by: Person; at: Date };
}

/** The fields keyed twice: the critical ones, when the layout asks for double keying. */
export function doubleKeyedFields(layout: Pick<RecordLayout, 'fields' | 'doubleKeyCritical'>): LayoutField[] {
  return layout.doubleKeyCritical ? layout.fields.filter((f) => f.class === 'critical') : [];
}

export function isDoubleKeyed(layout: Pick<RecordLayout, 'fields' | 'doubleKeyCritical'>): boolean {
  return doubleKeyedFields(layout).length > 0;
}

/** The double-keyed fields whose two keyings differ, in layout order. */
export function compareKeyings(
  fields: readonly LayoutField[],
  first: Readonly<Record<string, unknown>>,
  second: Readonly<Record<string, unknown>>,
): Difference[] {
  const out: Difference[] = [];
  for (const field of fields) {
    const a = (first[field.key] ?? null) as FieldValue;
    const b = (second[field.key] ?? null) as FieldValue;
    if (a !== b) out.push({ key: field.key, first: a, second: b, settled: null });
  }
  return out;
}

/** The records of a batch that are not complete: no second keying yet, or a difference unsettled. */
export const incompleteFilter = { $or: [{ second: null }, { unsettled: { $gt: 0 } }] };

/** A filter part matching a record still at the revision read (`rev` absent reads as null). */
export const atRev = (rev: number | null | undefined) => ({ rev: rev ?? null });

export const sameId = (a: unknown, b: unknown): boolean => a != null && b != null && String(a) === String(b);

export function recordChanged(): AppError {
  return new AppError('conflict', 'the record changed meanwhile', {
    messageKey: 'double.errors.record_changed',
  });
}
