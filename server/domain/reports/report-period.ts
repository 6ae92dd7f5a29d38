import { DateTime } from 'luxon';
import { AppError } from '../../errors/app-error.js';

/** Report periods: [from, to) of local days in the tenant's time zone, named by a key. */

const MAX_PERIOD_DAYS = 366;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface ReportPeriod {
  from: Date;
  to: Date;
  /** Local dates in the tenant's time zone; `toDate` is the first day not included. */
  fromDate: string;
  toDate: string;
  /** '2025-05' for a calendar month, else '2025-05-03_2025-05-17'. */
  key: string;
}

function periodBetween(start: DateTime, end: DateTime): ReportPeriod {
  const fromDate = start.toISODate() as string;
  const toDate = end.toISODate() as string;
  const month = start.day === 1 && start.plus({ months: 1 }).toISODate() === toDate;
  return {
    from: start.toJSDate(),
    to: end.toJSDate(),
    fromDate,
    toDate,
    key: month ? start.toFormat('yyyy-MM') : `${fromDate}_${toDate}`,
  };
}

/** The last full calendar month in the time zone, as of `now`. */
export function lastMonth(timeZone: string, now = new Date()): ReportPeriod {
  const thisMonth = DateTime.fromJSDate(now, { zone: timeZone }).startOf('month');
  return periodBetween(thisMonth.minus({ months: 1 }), thisMonth);
}

/** The period a reader asked for (local dates, `to` excluded), or the last month when none. */
export function periodOf(timeZone: string, from?: unknown, to?: unknown, now = new Date()): ReportPeriod {
  if ((from === undefined || from === '') && (to === undefined || to === '')) return lastMonth(timeZone, now);
  const parse = (v: unknown) =>
    typeof v === 'string' && DATE.test(v) ? DateTime.fromISO(v, { zone: timeZone }) : null;
  const start = parse(from);
  const end = parse(to);
  const bad = (path: string) =>
    new AppError('validation', 'bad report period', {
      messageKey: 'reports.errors.period',
      fields: [{ path, key: 'reports.errors.period' }],
    });
  if (!start?.isValid) throw bad('from');
  if (!end?.isValid || end <= start) throw bad('to');
  if (end.diff(start, 'days').days > MAX_PERIOD_DAYS) throw bad('to');
  return periodBetween(start.startOf('day'), end.startOf('day'));
}

/** The period of equal length just before: the previous calendar month for a month. */
export function previousPeriod(period: ReportPeriod, timeZone: string): ReportPeriod {
  const start = DateTime.fromJSDate(period.from, { zone: timeZone });
  const end = DateTime.fromJSDate(period.to, { zone: timeZone });
  if (/^\d{4}-\d{2}$/.test(period.key)) return periodBetween(start.minus({ months: 1 }), start);
  const days = Math.round(end.diff(start, 'days').days);
  return periodBetween(start.minus({ days }), start);
}
