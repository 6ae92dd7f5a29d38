import { DateTime } from 'luxon';
import { z } from 'zod';
import { priorities, ticketTypes, type Priority, type TicketType } from '../../../models/ticket.js';
import { AppError, type FieldError } from '../../errors/app-error.js';
import { fieldsFromZod } from '../../errors/normalize.js';
import { clockMinutes } from './business-time.js';
import { weekdays, type Weekday } from './contract-store.js';

/**
 * Input of the SLA contract pages: the form fields, parsed with every error at once (one
 * transform, field paths as the form names them) and messages under `sla.errors.*`.
 */

/** Issue params: a full translation key (`sla.errors.x`, `validation.x`) and its parameters. */
type Issue = { path: string; key: string; params?: Record<string, string | number> };

function report(ctx: z.RefinementCtx, issue: Issue): void {
  ctx.addIssue({
    code: 'custom',
    path: [issue.path],
    message: issue.key,
    params: { key: issue.key, ...(issue.params ?? {}) },
  });
}

export function isTimeZone(tz: string): boolean {
  if (!tz || !/^[A-Za-z_+\-/0-9]+$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const checked = (v: unknown): boolean => v === true || v === 'true' || v === 'on' || v === '1';
const text = (max: number) => z.string().max(max).optional();
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const isDate = (s: string): boolean => DATE.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid;
/** 'H:mm' or 'HH:mm' as 'HH:mm' (or null). */
const normalClock = (s: string): string | null => {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const value = `${(m[1] as string).padStart(2, '0')}:${m[2] as string}`;
  return clockMinutes(value) === null ? null : value;
};
const lines = (s: string | undefined): Array<{ line: number; text: string }> =>
  (s ?? '')
    .split(/\r?\n/)
    .map((t, i) => ({ line: i + 1, text: t.trim() }))
    .filter((l) => l.text !== '');

export interface CalendarInput {
  name: string;
  timeZone: string;
  alwaysOpen: boolean;
  weekly: Array<{ day: Weekday; from: string; to: string }>;
  holidays: Array<{ date: string; name: string }>;
  closures: Array<{ from: Date; to: Date; reason: string }>;
}

/** One day's hours: '09:00-13:00, 14:00-18:00' (empty: closed). */
function parseDayHours(raw: string): { ranges: Array<{ from: string; to: string }> } | { error: string } {
  const parts = raw
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter(Boolean);
  const ranges: Array<{ from: string; to: string; a: number; b: number }> = [];
  for (const part of parts) {
    const m = /^(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})$/.exec(part);
    const from = m ? normalClock(m[1] as string) : null;
    const to = m ? normalClock(m[2] as string) : null;
    if (!from || !to || from === '24:00') return { error: 'sla.errors.hours_format' };
    const a = clockMinutes(from) as number;
    const b = clockMinutes(to) as number;
    if (b <= a) return { error: 'sla.errors.hours_reversed' };
    ranges.push({ from, to, a, b });
  }
  ranges.sort((x, y) => x.a - y.a);
  for (let i = 1; i < ranges.length; i++)
    if ((ranges[i] as { a: number }).a < (ranges[i - 1] as { b: number }).b)
      return { error: 'sla.errors.hours_overlap' };
  return { ranges: ranges.map(({ from, to }) => ({ from, to })) };
}

/** A local date and time in a zone ('24:00' is the next day's midnight), or null. */
function localInstant(date: string, time: string, zone: string): Date | null {
  if (!isDate(date)) return null;
  const clock = normalClock(time);
  if (!clock) return null;
  const base = DateTime.fromISO(date, { zone });
  const dt = clock === '24:00' ? base.plus({ days: 1 }) : DateTime.fromISO(`${date}T${clock}`, { zone });
  return dt.isValid ? dt.toJSDate() : null;
}

const MAX_HOLIDAYS = 400;
const MAX_CLOSURES = 200;

type RawCalendar = Partial<Record<`hours.${Weekday}`, string>>;

/** The weekly hours, one field per weekday; no hours at all is an error unless always open. */
function parseWeekly(raw: RawCalendar, alwaysOpen: boolean, ctx: z.RefinementCtx): CalendarInput['weekly'] {
  const weekly: CalendarInput['weekly'] = [];
  for (const day of weekdays) {
    const parsed = parseDayHours(raw[`hours.${day}`] ?? '');
    if ('error' in parsed) report(ctx, { path: `hours.${day}`, key: parsed.error });
    else for (const r of parsed.ranges) weekly.push({ day, ...r });
  }
  if (!alwaysOpen && weekly.length === 0 && weekdays.every((d) => !(raw[`hours.${d}`] ?? '').trim()))
    report(ctx, { path: 'hours.1', key: 'sla.errors.no_hours' });
  return weekly;
}

/** Holidays, a line each: '2026-12-25 Christmas' (the first bad line is reported). */
function parseHolidays(raw: string | undefined, ctx: z.RefinementCtx): CalendarInput['holidays'] {
  const holidays: CalendarInput['holidays'] = [];
  const holidayLines = lines(raw);
  if (holidayLines.length > MAX_HOLIDAYS)
    report(ctx, { path: 'holidays', key: 'sla.errors.too_many_lines', params: { max: MAX_HOLIDAYS } });
  const seen = new Set<string>();
  for (const { line, text: entry } of holidayLines) {
    const m = /^(\d{4}-\d{2}-\d{2})(?:\s*[:\-–—]\s*|\s+|$)(.*)$/.exec(entry);
    const date = m?.[1] ?? '';
    if (!m || !isDate(date)) {
      report(ctx, {
        path: 'holidays',
        key: 'sla.errors.holiday_line',
        params: { line, text: entry.slice(0, 40) },
      });
      break;
    }
    if (seen.has(date)) {
      report(ctx, { path: 'holidays', key: 'sla.errors.holiday_duplicate', params: { line, date } });
      break;
    }
    seen.add(date);
    holidays.push({ date, name: (m?.[2] ?? '').trim().slice(0, 100) });
  }
  holidays.sort((a, b) => a.date.localeCompare(b.date));
  return holidays;
}

/** Closures, a line each, in the calendar's zone (null when the zone is invalid: its error comes first). */
function parseClosures(
  raw: string | undefined,
  timeZone: string | null,
  ctx: z.RefinementCtx,
): CalendarInput['closures'] {
  const closures: CalendarInput['closures'] = [];
  const closureLines = lines(raw);
  if (closureLines.length > MAX_CLOSURES)
    report(ctx, { path: 'closures', key: 'sla.errors.too_many_lines', params: { max: MAX_CLOSURES } });
  for (const { line, text: entry } of closureLines) {
    // 2026-12-31 14:00 - 2027-01-02 09:00 reason, or 2026-12-31 14:00-18:00 reason
    const m =
      /^(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*[-–—]\s*(?:(\d{4}-\d{2}-\d{2})\s+)?(\d{1,2}:\d{2})(?:\s+(.*))?$/.exec(
        entry,
      );
    if (!m) {
      report(ctx, { path: 'closures', key: 'sla.errors.closure_line', params: { line } });
      break;
    }
    if (timeZone === null) continue; // the time zone's own error says what to fix first
    const from = localInstant(m[1] as string, m[2] as string, timeZone);
    const to = localInstant(m[3] ?? (m[1] as string), m[4] as string, timeZone);
    if (!from || !to) {
      report(ctx, { path: 'closures', key: 'sla.errors.closure_line', params: { line } });
      break;
    }
    if (to.getTime() <= from.getTime()) {
      report(ctx, { path: 'closures', key: 'sla.errors.closure_reversed', params: { line } });
      break;
    }
    closures.push({ from, to, reason: (m[5] ?? '').trim().slice(0, 200) });
  }
  closures.sort((a, b) => a.from.getTime() - b.from.getTime());
  return closures;
}

export const calendarInputSchema = z
  .object({
    name: text(200),
    timeZone: text(100),
    alwaysOpen: z.union([z.string(), z.boolean()]).optional(),
    ...(Object.fromEntries(weekdays.map((d) => [`hours.${d}`, text(200)])) as Record<
      `hours.${Weekday}`,
      ReturnType<typeof text>
    >),
    holidays: text(40_000),
    closures: text(40_000),
  })
  .transform((raw, ctx): CalendarInput => {
    const name = (raw.name ?? '').trim();
    if (!name) report(ctx, { path: 'name', key: 'validation.required' });
    else if (name.length > 100)
      report(ctx, { path: 'name', key: 'validation.too_long', params: { max: 100 } });
    const timeZone = (raw.timeZone ?? '').trim();
    const zoneOk = isTimeZone(timeZone);
    if (!zoneOk)
      report(ctx, { path: 'timeZone', key: timeZone ? 'sla.errors.time_zone' : 'validation.required' });
    const alwaysOpen = checked(raw.alwaysOpen);
    const weekly = parseWeekly(raw, alwaysOpen, ctx);
    const holidays = parseHolidays(raw.holidays, ctx);
    const closures = parseClosures(raw.closures, zoneOk ? timeZone : null, ctx);
    return { name, timeZone, alwaysOpen, weekly, holidays, closures };
  });

export interface PolicyInput {
  targets: Array<{
    type: TicketType;
    priority: Priority;
    firstResponseMinutes: number;
    resolutionMinutes: number;
  }>;
  warnAt: number[];
  escalation: { raisePriority: boolean; notifyClient: boolean };
  /** The client turned satisfaction surveys off. */
  csatOptOut: boolean;
  /** The version the editor started from (the form sends it): a save on top of a newer one is refused. */
  baseVersion: number | null;
}

/** Form field names of the target grid. */
export const targetField = (type: string, priority: string, target: 'firstResponse' | 'resolution'): string =>
  `targets.${type}.${priority}.${target}`;

const MAX_TARGET_HOURS = 24 * 366;

/** Hours as typed ('1', '0.5', '1,5') to whole minutes, or an error key. */
function parseHours(raw: string | undefined): { minutes: number } | { error: string } {
  const s = (raw ?? '').trim().replace(',', '.');
  if (!s) return { error: 'validation.required' };
  if (!/^[-+]?\d+(\.\d+)?$|^[-+]?\.\d+$/.test(s)) return { error: 'sla.errors.hours_number' };
  const hours = Number(s);
  if (!Number.isFinite(hours)) return { error: 'sla.errors.hours_number' };
  const minutes = Math.round(hours * 60);
  if (hours <= 0 || minutes < 1) return { error: 'sla.errors.target_positive' };
  if (hours > MAX_TARGET_HOURS) return { error: 'sla.errors.target_too_long' };
  return { minutes };
}

const targetShape = Object.fromEntries(
  ticketTypes.flatMap((type) =>
    priorities.flatMap((priority) =>
      [targetField(type, priority, 'firstResponse'), targetField(type, priority, 'resolution')].map((k) => [
        k,
        text(40),
      ]),
    ),
  ),
) as Record<string, ReturnType<typeof text>>;

export const policyInputSchema = z
  .object({
    ...targetShape,
    warnAt: z.union([z.string().max(200), z.array(z.string().max(20)).max(20)]).optional(),
    raisePriority: z.union([z.string(), z.boolean()]).optional(),
    notifyClient: z.union([z.string(), z.boolean()]).optional(),
    csatOptOut: z.union([z.string(), z.boolean()]).optional(),
    baseVersion: z.union([z.string().max(12), z.number()]).optional(),
  })
  .transform((raw, ctx): PolicyInput => {
    const fields = raw as Record<string, string | undefined>;
    const targets: PolicyInput['targets'] = [];
    for (const type of ticketTypes) {
      for (const priority of priorities) {
        const frPath = targetField(type, priority, 'firstResponse');
        const resPath = targetField(type, priority, 'resolution');
        const fr = parseHours(fields[frPath]);
        const res = parseHours(fields[resPath]);
        if ('error' in fr) report(ctx, { path: frPath, key: fr.error });
        if ('error' in res) report(ctx, { path: resPath, key: res.error });
        if ('minutes' in fr && 'minutes' in res) {
          if (fr.minutes > res.minutes)
            report(ctx, { path: frPath, key: 'sla.errors.response_after_resolution' });
          targets.push({ type, priority, firstResponseMinutes: fr.minutes, resolutionMinutes: res.minutes });
        }
      }
    }
    const warnParts = (Array.isArray(raw.warnAt) ? raw.warnAt.join(',') : (raw.warnAt ?? ''))
      .split(/[\s,;%]+/)
      .filter(Boolean);
    const warnAt: number[] = [];
    for (const part of warnParts) {
      const n = Number(part);
      if (!/^\d+$/.test(part) || n < 1 || n > 99) {
        report(ctx, { path: 'warnAt', key: 'sla.errors.warn_range' });
        break;
      }
      if (!warnAt.includes(n)) warnAt.push(n);
    }
    if (warnAt.length > 5)
      report(ctx, { path: 'warnAt', key: 'sla.errors.warn_too_many', params: { max: 5 } });
    warnAt.sort((a, b) => a - b);
    const base = raw.baseVersion === undefined || raw.baseVersion === '' ? null : Number(raw.baseVersion);
    return {
      targets,
      warnAt,
      escalation: { raisePriority: checked(raw.raisePriority), notifyClient: checked(raw.notifyClient) },
      csatOptOut: checked(raw.csatOptOut),
      baseVersion: base !== null && Number.isInteger(base) && base >= 0 ? base : null,
    };
  });

/**
 * Parse with an SLA schema: a failure is a `validation` AppError whose field keys are the full
 * translation keys the schemas name (`sla.errors.*`, `validation.*`), with their parameters.
 */
export function parseContractInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // Each issue on its own: the generic reading keeps one field per path, so it cannot be zipped with the issues.
  const fields: FieldError[] = result.error.issues.flatMap((issue) => {
    const params = (issue as { params?: Record<string, string | number> }).params;
    if (issue.code === 'custom' && typeof params?.key === 'string') {
      const { key, ...rest } = params;
      return [{ path: issue.path.map(String).join('.'), key: String(key), params: rest }];
    }
    return fieldsFromZod(new z.ZodError([issue]), input);
  });
  // The first message of a field is the one shown (forms keep the last, so put it last).
  const firstPerField = new Map<string, FieldError>();
  for (const f of fields) if (!firstPerField.has(f.path)) firstPerField.set(f.path, f);
  throw new AppError('validation', 'invalid input', { fields: [...firstPerField.values()] });
}
