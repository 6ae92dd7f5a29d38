import type { SlaTarget } from '../sla/clock.js';

/** The figures a report counts: tallies of measured targets, percentiles, the traffic light. */

export type TrafficLight = 'green' | 'amber' | 'red' | 'none';

/** The p-th percentile of ascending values, interpolated linearly; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

export const trafficLight = (pct: number | null): TrafficLight =>
  pct === null ? 'none' : pct >= 95 ? 'green' : pct >= 85 ? 'amber' : 'red';

const round1 = (x: number): number => Math.round(x * 10) / 10;

export interface Tally {
  measured: number;
  met: number;
  breached: number;
  /** met / measured in percent, one decimal; null when nothing was measured. */
  pct: number | null;
}
export const blankTally = (): Tally => ({ measured: 0, met: 0, breached: 0, pct: null });
export function count(t: Tally, breached: boolean): void {
  t.measured++;
  if (breached) t.breached++;
  else t.met++;
  t.pct = round1((100 * t.met) / t.measured);
}
export type Pair = Record<SlaTarget, Tally>;
export const blankPair = (): Pair => ({ firstResponse: blankTally(), resolution: blankTally() });
export const combined = (p: Pair): Tally => {
  const measured = p.firstResponse.measured + p.resolution.measured;
  const met = p.firstResponse.met + p.resolution.met;
  return { measured, met, breached: measured - met, pct: measured ? round1((100 * met) / measured) : null };
};

export interface StoredTarget {
  targetSeconds?: number;
  dueAt?: Date | null;
  metAt?: Date | null;
  businessSeconds?: number | null;
  breachedAt?: Date | null;
}

/** When a target's outcome became known, and whether it was a breach; null while open. */
export function outcomeOf(t: StoredTarget | null | undefined): { at: Date; breached: boolean } | null {
  if (!t?.dueAt) return null;
  const late = t.metAt != null && t.metAt > t.dueAt;
  if (t.breachedAt || late) return { at: t.breachedAt ?? t.dueAt, breached: true };
  if (t.metAt) return { at: t.metAt, breached: false };
  return null;
}
