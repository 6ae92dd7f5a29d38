export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  const s = sorted(xs);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: percentile(s, 100) };
}

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-').padStart(7);

export const fmt = (s: Spread): string => `${ms(s.p50)} ${ms(s.p99)} ${ms(s.max)}`;
