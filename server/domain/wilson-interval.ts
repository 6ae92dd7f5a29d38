/**
 * The Wilson score interval for a proportion (E. B. Wilson, "Probable inference, the law of
 * succession, and statistical inference", JASA 22, 1927): for x successes in n trials, p = x/n,
 *
 *   centre = (p + z²/2n) / (1 + z²/n)
 *   half   = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)
 *
 * z = 1.959963984540054 (the 97.5 % normal quantile) gives the 95 % interval. Unlike the normal
 * approximation it stays inside [0, 1] and is not degenerate at 0 of n or n of n, which is why
 * field accuracy near 100 % is reported with it. With no trials the interval is [0, 1].
 */

export const z95 = 1.959963984540054;

export interface ProportionInterval {
  successes: number;
  trials: number;
  /** successes / trials (0 with no trials). */
  estimate: number;
  lower: number;
  upper: number;
  /** The confidence level the z value stands for, e.g. 0.95. */
  confidence: number;
}

export function wilsonInterval(successes: number, trials: number, z: number = z95): ProportionInterval {
  if (!Number.isSafeInteger(trials) || trials < 0)
    throw new RangeError(`trials must be a whole number >= 0: ${trials}`);
  if (!Number.isSafeInteger(successes) || successes < 0 || successes > trials) {
    throw new RangeError(`successes must be a whole number from 0 to the trials: ${successes}`);
  }
  if (!(z > 0)) throw new RangeError(`z must be positive: ${z}`);
  const confidence = confidenceOf(z);
  if (trials === 0) return { successes, trials, estimate: 0, lower: 0, upper: 1, confidence };
  const n = trials;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return {
    successes,
    trials,
    estimate: p,
    lower: successes === 0 ? 0 : Math.max(0, centre - half),
    upper: successes === trials ? 1 : Math.min(1, centre + half),
    confidence,
  };
}

/** Two-sided confidence level of a z value: erf(z / sqrt 2), by Abramowitz & Stegun 7.1.26, rounded to 4 places. */
function confidenceOf(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.round((1 - poly * Math.exp(-x * x)) * 1e4) / 1e4;
}
