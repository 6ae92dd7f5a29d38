import { unscopedCollection } from '../../db/scoped-collection.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';

export interface ScheduledJobView {
  name: string;
  repeatInterval: string | number | null;
  /** The interval in the largest whole unit ("15 seconds", "1 day"), for a person to read; null if not a plain interval. */
  every: { unit: IntervalUnit; count: number } | null;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastFinishedAt: Date | null;
  lockedAt: Date | null;
  failCount: number;
  failReason: string | null;
  failedAt: Date | null;
  state: 'running' | 'failed' | 'scheduled' | 'done';
}

export type IntervalUnit = 'seconds' | 'minutes' | 'hours' | 'days' | 'weeks';
const unitMs: Array<[IntervalUnit, number]> = [
  ['weeks', 604_800_000],
  ['days', 86_400_000],
  ['hours', 3_600_000],
  ['minutes', 60_000],
  ['seconds', 1000],
];
const unitWords: Record<string, IntervalUnit> = {
  s: 'seconds',
  sec: 'seconds',
  secs: 'seconds',
  second: 'seconds',
  seconds: 'seconds',
  m: 'minutes',
  min: 'minutes',
  mins: 'minutes',
  minute: 'minutes',
  minutes: 'minutes',
  h: 'hours',
  hour: 'hours',
  hours: 'hours',
  d: 'days',
  day: 'days',
  days: 'days',
  w: 'weeks',
  week: 'weeks',
  weeks: 'weeks',
};

/** Agenda's repeat interval (milliseconds, or "15 seconds", "1 hour"...) in milliseconds; null for anything else (cron). */
export function intervalMs(repeat: string | number | null | undefined): number | null {
  if (typeof repeat === 'number') return Number.isFinite(repeat) && repeat > 0 ? repeat : null;
  if (typeof repeat !== 'string') return null;
  const trimmed = repeat.trim().toLowerCase();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) || null;
  const match = /^(\d+(?:\.\d+)?|an?|one)\s*([a-z]+)$/.exec(trimmed);
  const unit = match ? unitWords[match[2] ?? ''] : undefined;
  if (!match || !unit) return null;
  const count = /^\d/.test(match[1] ?? '') ? Number(match[1]) : 1;
  return count * (unitMs.find(([u]) => u === unit)?.[1] ?? 0) || null;
}

/** An interval in the largest unit that divides it (90 s reads "90 seconds", 86 400 000 ms "1 day"). */
export function intervalInUnits(ms: number | null): { unit: IntervalUnit; count: number } | null {
  if (ms === null || ms < 1000) return null;
  for (const [unit, size] of unitMs) if (ms % size === 0) return { unit, count: ms / size };
  return { unit: 'seconds', count: Math.round(ms / 1000) };
}

/**
 * Agenda's own job state (collection `agendaJobs`), for admins: read-only, straight from the
 * documents agenda keeps, so the page shows what the scheduler really has.
 */
export async function listScheduledJobs(ctx: Ctx): Promise<ScheduledJobView[]> {
  requirePermission(ctx, 'jobs.read');
  const jobs = unscopedCollection(
    'agendaJobs',
    "agenda's own job state: the scheduler's collection, not tenant data",
  );
  if (!jobs) return [];
  const rows = await jobs.find({}).sort({ name: 1, nextRunAt: 1 }).limit(500).toArray();
  return rows.map((r) => {
    const failedAt = (r.failedAt as Date | undefined) ?? null;
    const lastFinishedAt = (r.lastFinishedAt as Date | undefined) ?? null;
    const lockedAt = (r.lockedAt as Date | undefined) ?? null;
    const failed = failedAt !== null && (!lastFinishedAt || failedAt >= lastFinishedAt);
    return {
      name: String(r.name),
      repeatInterval: (r.repeatInterval as string | number | undefined) ?? null,
      every: intervalInUnits(intervalMs(r.repeatInterval as string | number | undefined)),
      nextRunAt: (r.nextRunAt as Date | undefined) ?? null,
      lastRunAt: (r.lastRunAt as Date | undefined) ?? null,
      lastFinishedAt,
      lockedAt,
      failCount: Number(r.failCount ?? 0),
      failReason: (r.failReason as string | undefined) ?? null,
      failedAt,
      state: lockedAt ? 'running' : failed ? 'failed' : r.nextRunAt ? 'scheduled' : 'done',
    };
  });
}
