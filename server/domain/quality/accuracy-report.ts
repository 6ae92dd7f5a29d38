import { accuracyVerdict, type AccuracyVerdict } from './accuracy-verdict.js';
import { wilsonInterval, type ProportionInterval } from '../wilson-interval.js';

/**
 * Field accuracy grouped as a report shows it (per client, layout, field or keyer): the fields
 * checked and found correct in each group, the 95 % Wilson interval and the verdict against the
 * target, with the sample size behind each figure. Pure: the caller reads the checked fields.
 */

export interface CheckedFields {
  /** Fields a checker verified against the source. */
  inspected: number;
  /** Of those, fields found keyed wrong. */
  wrong: number;
}

export interface AccuracyRow {
  group: string;
  inspected: number;
  correct: number;
  interval: ProportionInterval;
  verdict: AccuracyVerdict;
}

export function accuracyBy<T extends CheckedFields>(
  rows: readonly T[],
  groupOf: (row: T) => string,
  target: number,
): AccuracyRow[] {
  const totals = new Map<string, { inspected: number; wrong: number }>();
  for (const row of rows) {
    if (
      !Number.isSafeInteger(row.inspected) ||
      !Number.isSafeInteger(row.wrong) ||
      row.wrong < 0 ||
      row.wrong > row.inspected
    ) {
      throw new RangeError(
        `checked fields must be whole numbers with wrong <= inspected: ${row.wrong}/${row.inspected}`,
      );
    }
    const key = groupOf(row);
    const total = totals.get(key) ?? { inspected: 0, wrong: 0 };
    total.inspected += row.inspected;
    total.wrong += row.wrong;
    totals.set(key, total);
  }
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, { inspected, wrong }]) => {
      const interval = wilsonInterval(inspected - wrong, inspected);
      return {
        group,
        inspected,
        correct: inspected - wrong,
        interval,
        verdict: accuracyVerdict(target, interval),
      };
    });
}
