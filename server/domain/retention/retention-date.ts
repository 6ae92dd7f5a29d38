import { DateTime } from 'luxon';
import type { RetentionRule } from './retention-defaults.js';

/** What a record's retention can start from; absent when it has not happened (an open ticket). */
export interface RetentionDates {
  createdAt?: Date | null;
  closedAt?: Date | null;
  /** An invoice's own date, 'YYYY-MM-DD' as the invoice states it (a calendar day, not an instant). */
  invoiceDate?: string | null;
}

/** The client's calendar: its time zone and the last day of its financial year ('MM-DD'). */
export interface RetentionCalendar {
  timeZone: string;
  financialYearEnd: string;
}

/** The first day after `day` in the client's zone: a calendar day kept "until" ends there. */
const dayAfter = (day: DateTime): DateTime => day.startOf('day').plus({ days: 1 });

/**
 * The last day of the financial year in which `day` falls: the year's end 'MM-DD' on or after it.
 * A year ending on 29 February ends on the 28th in other years.
 */
export function financialYearEndOf(day: DateTime, yearEnd: string): DateTime {
  const [month, date] = yearEnd.split('-').map(Number) as [number, number];
  const endIn = (year: number): DateTime => {
    const first = DateTime.fromObject({ year, month, day: 1 }, { zone: day.zone });
    return first.set({ day: Math.min(date, first.daysInMonth ?? date) });
  };
  const sameYear = endIn(day.year);
  return sameYear.startOf('day') >= day.startOf('day') ? sameYear : endIn(day.year + 1);
}

/**
 * The moment a record's retention ends (it may be purged from then on), or null when its start
 * has not happened yet. Calendar days (an invoice's date, a financial year's end) are kept whole
 * in the client's time zone: "ten years from 3 March 2016" runs to the end of 3 March 2026.
 * A leap day plus whole years lands on 28 February.
 */
export function retentionEndOf(
  rule: RetentionRule,
  dates: RetentionDates,
  calendar: RetentionCalendar,
): Date | null {
  const period = { years: rule.years, months: rule.months };
  const zone = calendar.timeZone;
  const invoiceDay = dates.invoiceDate ? DateTime.fromISO(dates.invoiceDate, { zone }) : null;
  const validInvoiceDay = invoiceDay?.isValid ? invoiceDay : null;
  switch (rule.start) {
    case 'created':
      return dates.createdAt ? DateTime.fromJSDate(dates.createdAt).plus(period).toJSDate() : null;
    case 'ticket_closed':
      return dates.closedAt ? DateTime.fromJSDate(dates.closedAt).plus(period).toJSDate() : null;
    case 'invoice_date':
      // A ticket without an invoice date (not an invoice) counts from its closing.
      if (validInvoiceDay) return dayAfter(validInvoiceDay.plus(period)).toJSDate();
      return dates.closedAt ? DateTime.fromJSDate(dates.closedAt).plus(period).toJSDate() : null;
    case 'financial_year_end': {
      // The year the material concerns: the invoice's, else the closing's (or creation's, for an entry).
      const base =
        validInvoiceDay ??
        (dates.closedAt ? DateTime.fromJSDate(dates.closedAt, { zone }) : null) ??
        (dates.createdAt && !('closedAt' in dates) ? DateTime.fromJSDate(dates.createdAt, { zone }) : null);
      if (!base) return null;
      return dayAfter(financialYearEndOf(base, calendar.financialYearEnd).plus(period)).toJSDate();
    }
  }
}

/**
 * For records without a ticket (audit entries, inbound mail rows), whose own time stands for
 * every start: the first time whose record is still kept at `now`. Every record written before
 * it has expired. The end grows with the record's time, so a search over time finds the bound
 * for any rule (financial years included) without a second copy of the arithmetic.
 */
export function recordCutoff(rule: RetentionRule, calendar: RetentionCalendar, now: Date): Date {
  const endOf = (ms: number) =>
    retentionEndOf(rule, { createdAt: new Date(ms), closedAt: new Date(ms) }, calendar);
  let low = 0; // expired (the epoch is long gone under any rule of at most 30 years)
  let high = now.getTime(); // kept (nothing written now has expired)
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    const end = endOf(mid);
    if (end && end <= now) low = mid;
    else high = mid;
  }
  return new Date(high);
}
