import { wilsonInterval, type ProportionInterval } from '../wilson-interval.js';

/**
 * Whether a measured accuracy meets its contractual target (e.g. 0.995 = 99.5 % of fields
 * correct), judged on the 95 % Wilson interval rather than on the point estimate, so that a small
 * sample neither proves nor breaks the promise by chance:
 *
 * - 'breach':  the whole interval is below the target (its upper bound < target); recorded as a
 *              breach of the service level.
 * - 'at-risk': the target lies above the lower bound but not above the upper one: the data do not
 *              show the target is met; shown as "at risk", not recorded as a breach.
 * - 'met':     the lower bound reaches the target.
 */

export type AccuracyVerdict = 'met' | 'at-risk' | 'breach';

export function accuracyVerdict(
  target: number,
  interval: Pick<ProportionInterval, 'lower' | 'upper'>,
): AccuracyVerdict {
  if (!(target >= 0 && target <= 1))
    throw new RangeError(`the target must be a proportion from 0 to 1: ${target}`);
  if (interval.upper < target) return 'breach';
  if (interval.lower < target) return 'at-risk';
  return 'met';
}

/** The verdict and its interval from counts: fields found correct out of fields inspected. */
export function accuracyFromCounts(input: { correct: number; inspected: number; target: number }): {
  verdict: AccuracyVerdict;
  interval: ProportionInterval;
} {
  const interval = wilsonInterval(input.correct, input.inspected);
  return { verdict: accuracyVerdict(input.target, interval), interval };
}
