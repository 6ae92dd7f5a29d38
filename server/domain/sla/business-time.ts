import { DateTime, IANAZone } from 'luxon';

/**
 * Business-time arithmetic for SLA deadlines: pure functions, no I/O.
 *
 * A calendar's open time is its weekly hours (local wall-clock times in its IANA time zone, or
 * every hour of every day when `alwaysOpen`), minus whole local days that are holidays, minus
 * ad-hoc closures (absolute instants). Every interval is half-open, [from, to).
 *
 * Local times go through luxon, so DST switches come out right: a 09:00-18:00 day is 9 open hours
 * also on the days the clocks change, and a window crossing the spring-forward gap (or a 24x7
 * day) counts the seconds that really elapse (23 h on the spring-forward day, 25 h in autumn).
 *
 * The functions walk the calendar one local day at a time (never minute by minute). Searching
 * forward stops after about three years, and a calendar without any open hour throws at once.
 */
export interface BusinessCalendar {
  timeZone: string; // IANA
  alwaysOpen: boolean; // 24x7
  weekly: Array<{ day: 1 | 2 | 3 | 4 | 5 | 6 | 7; from: string; to: string }>; // ISO weekday (Mon=1), local 'HH:mm', to > from, '24:00' allowed as end
  holidays: string[]; // local dates 'YYYY-MM-DD' (whole days closed)
  closures: Array<{ from: Date; to: Date }>; // ad-hoc closures, absolute instants
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How far `addBusinessSeconds` looks for open time before giving up. */
export const MAX_SEARCH_DAYS = 3 * 366;
/** The longest range `businessSecondsBetween` accepts (a guard against runaway callers). */
const MAX_RANGE_MS = 100 * 366 * DAY_MS;

type Span = [number, number];

interface Prepared {
  zone: string;
  /** Index 1..7 (ISO weekday): open windows in local minutes since midnight, sorted and merged. */
  weekly: Span[][];
  holidays: Set<string>;
  /** Absolute ms, sorted and merged. */
  closures: Span[];
  hasHours: boolean;
  /** Open at every instant: plain arithmetic applies. */
  plain: boolean;
}

function merge(spans: Span[]): Span[] {
  const sorted = spans.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: Span[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** 'HH:mm' as minutes since local midnight; '24:00' (1440) only as an end. */
export function clockMinutes(value: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) return null;
  return hours * 60 + minutes;
}

const validZones = new Set<string>();
function isValidZone(zone: unknown): zone is string {
  if (typeof zone !== 'string') return false;
  if (validZones.has(zone)) return true;
  if (!IANAZone.isValidZone(zone)) return false;
  validZones.add(zone);
  return true;
}

function prepare(cal: BusinessCalendar): Prepared {
  if (!cal || !isValidZone(cal.timeZone))
    throw new Error(`business calendar: unknown time zone "${String(cal?.timeZone)}"`);
  const weekly: Span[][] = Array.from({ length: 8 }, () => []);
  if (cal.alwaysOpen) {
    for (let day = 1; day <= 7; day++) weekly[day] = [[0, 1440]];
  } else {
    for (const entry of cal.weekly ?? []) {
      const from = clockMinutes(entry.from);
      const to = clockMinutes(entry.to);
      if (!Number.isInteger(entry.day) || entry.day < 1 || entry.day > 7)
        throw new Error(`business calendar: weekday ${String(entry.day)} is not 1 (Monday) to 7 (Sunday)`);
      if (from === null || to === null || from >= 1440 || to <= from)
        throw new Error(`business calendar: bad hours ${entry.from}-${entry.to} on weekday ${entry.day}`);
      (weekly[entry.day] as Span[]).push([from, to]);
    }
    for (let day = 1; day <= 7; day++) weekly[day] = merge(weekly[day] as Span[]);
  }
  const closures = merge(
    (cal.closures ?? [])
      .map((c): Span => [new Date(c.from).getTime(), new Date(c.to).getTime()])
      .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)),
  );
  const holidays = new Set(cal.holidays ?? []);
  const hasHours = weekly.some((w) => w.length > 0);
  return {
    zone: cal.timeZone,
    weekly,
    holidays,
    closures,
    hasHours,
    plain: cal.alwaysOpen && holidays.size === 0 && closures.length === 0,
  };
}

interface LocalDate {
  y: number;
  m: number;
  d: number;
}

const pad = (n: number): string => String(n).padStart(2, '0');
const dateKey = ({ y, m, d }: LocalDate): string => `${y}-${pad(m)}-${pad(d)}`;
const isoWeekday = ({ y, m, d }: LocalDate): number => new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
function nextDate({ y, m, d }: LocalDate): LocalDate {
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return { y: next.getUTCFullYear(), m: next.getUTCMonth() + 1, d: next.getUTCDate() };
}
interface DayBounds {
  /** First instant of the local date (luxon moves a missing midnight forward), and of the next one. */
  startMs: number;
  nextMs: number;
  /** No offset change within the day: a local time is midnight plus its minutes. */
  steady: boolean;
}

/** Day bounds per zone and date, computed once: the sweep asks for the same days over and over. */
const boundsCache = new Map<string, DayBounds>();
const BOUNDS_CACHE_MAX = 50_000;

function dayBounds(zone: string, date: LocalDate): DayBounds {
  const key = `${zone}|${dateKey(date)}`;
  const cached = boundsCache.get(key);
  if (cached) return cached;
  const { y, m, d } = date;
  const start = DateTime.fromObject({ year: y, month: m, day: d }, { zone });
  const following = nextDate(date);
  const next = DateTime.fromObject({ year: following.y, month: following.m, day: following.d }, { zone });
  const bounds = {
    startMs: start.toMillis(),
    nextMs: next.toMillis(),
    steady: start.offset === next.offset && start.hour === 0 && start.minute === 0,
  };
  if (boundsCache.size >= BOUNDS_CACHE_MAX) boundsCache.clear();
  boundsCache.set(key, bounds);
  return bounds;
}

/** The index of the first closure ending after `at`. */
function firstClosureAfter(closures: Span[], at: number): number {
  let lo = 0;
  let hi = closures.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((closures[mid] as Span)[1] <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The open spans (absolute ms, ascending, disjoint) of at most `maxDays` local days, starting
 * with the local day that contains `fromMs` (so the first spans may end before `fromMs`).
 */
function* openSpans(p: Prepared, fromMs: number, maxDays: number): Generator<Span> {
  const first = DateTime.fromMillis(fromMs, { zone: p.zone });
  let date: LocalDate = { y: first.year, m: first.month, d: first.day };
  for (let i = 0; i < maxDays; i++, date = nextDate(date)) {
    const windows = p.weekly[isoWeekday(date)] as Span[];
    if (windows.length === 0 || p.holidays.has(dateKey(date))) continue;
    const { startMs, nextMs, steady } = dayBounds(p.zone, date);
    const at = (minute: number): number => {
      if (minute === 0) return startMs;
      if (minute >= 1440) return nextMs;
      if (steady) return startMs + minute * MINUTE_MS;
      const { y, m, d } = date;
      return DateTime.fromObject(
        { year: y, month: m, day: d, hour: Math.floor(minute / 60), minute: minute % 60 },
        { zone: p.zone },
      ).toMillis();
    };
    for (const [fromMinute, toMinute] of windows) {
      const a = at(fromMinute);
      const b = at(toMinute);
      if (b <= a) continue; // a window swallowed by a DST gap
      let cursor = a;
      for (let c = firstClosureAfter(p.closures, a); c < p.closures.length && cursor < b; c++) {
        const [ca, cb] = p.closures[c] as Span;
        if (ca >= b) break;
        if (ca > cursor) yield [cursor, ca];
        cursor = Math.max(cursor, cb);
      }
      if (cursor < b) yield [cursor, b];
    }
  }
}

function timeOf(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`business time: ${name} is not a valid date`);
  return ms;
}

/**
 * The instant when `seconds` of open time have elapsed after `start`. Outside open hours the
 * count begins at the next opening (so 0 seconds gives the next opening, or `start` itself when
 * open). Throws when the calendar has no open hours, or none within about three years.
 */
export function addBusinessSeconds(cal: BusinessCalendar, start: Date, seconds: number): Date {
  const from = timeOf(start, 'start');
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new RangeError(`business time: seconds must be a finite number >= 0, got ${seconds}`);
  const p = prepare(cal);
  let remaining = Math.round(seconds * 1000);
  if (p.plain) return new Date(from + remaining);
  if (!p.hasHours) throw new Error('business calendar has no open hours: every weekday is closed');
  for (const [a, b] of openSpans(p, from, MAX_SEARCH_DAYS)) {
    if (b <= from) continue;
    const s = Math.max(a, from);
    const available = b - s;
    if (remaining <= available) return new Date(s + remaining);
    remaining -= available;
  }
  throw new Error(
    `business calendar: ${seconds} s of open time not found within ${MAX_SEARCH_DAYS} days after ${start.toISOString()} (holidays and closures cover it all?)`,
  );
}

/** Open seconds in [from, to); 0 when `to` is not after `from`. */
export function businessSecondsBetween(cal: BusinessCalendar, from: Date, to: Date): number {
  const f = timeOf(from, 'from');
  const t = timeOf(to, 'to');
  if (t <= f) return 0;
  const p = prepare(cal);
  if (p.plain) return (t - f) / 1000;
  if (!p.hasHours) return 0;
  if (t - f > MAX_RANGE_MS) throw new RangeError('business time: range longer than 100 years');
  let total = 0;
  for (const [a, b] of openSpans(p, f, Math.ceil((t - f) / DAY_MS) + 2)) {
    if (a >= t) break;
    const s = Math.max(a, f);
    const e = Math.min(b, t);
    if (e > s) total += e - s;
  }
  return total / 1000;
}

export function isOpenAt(cal: BusinessCalendar, at: Date): boolean {
  const ms = timeOf(at, 'at');
  const p = prepare(cal);
  if (p.plain) return true;
  for (const [a, b] of openSpans(p, ms, 1)) if (a <= ms && ms < b) return true;
  return false;
}
