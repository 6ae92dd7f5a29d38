import type { Spread } from '../support/harness.js';

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-').padStart(7);

/** A spread's p50, p99 and max in ms, in the columns of bench/fanout's tables. */
export const fmt = (s: Spread): string => `${ms(s.p50)} ${ms(s.p99)} ${ms(s.max)}`;
