import type { Locale } from './i18n.js';

const intlLocale: Record<Locale, string> = { en: 'en-GB', it: 'it-IT', da: 'da-DK' };

export const intlLocaleOf = (locale: Locale): string => intlLocale[locale];

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per locale, zone and style: building one costs far more than formatting (a page formats many dates). */
function formatterOf(locale: Locale, timeZone: string, style: 'date' | 'dateTime'): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${style}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(intlLocale[locale], {
      dateStyle: 'medium',
      ...(style === 'dateTime' ? { timeStyle: 'short' as const } : {}),
      timeZone,
    });
    formatters.set(key, formatter);
  }
  return formatter;
}

/** An instant in the given style; empty for no value or one that is not a date. */
function formatInstant(
  value: Date | string | number | null | undefined,
  locale: Locale,
  timeZone: string,
  style: 'date' | 'dateTime',
): string {
  if (value === null || value === undefined || value === '') return '';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  return formatterOf(locale, timeZone, style).format(date);
}

/** A date and time as the reader expects it: their locale, the tenant's time zone. */
export function formatDateTime(
  value: Date | string | number | null | undefined,
  locale: Locale,
  timeZone: string,
): string {
  return formatInstant(value, locale, timeZone, 'dateTime');
}

export function formatDate(
  value: Date | string | number | null | undefined,
  locale: Locale,
  timeZone: string,
): string {
  return formatInstant(value, locale, timeZone, 'date');
}

/** Who reads a text: their language, and the time zone dates are shown in (the tenant's, or the user's). */
export interface Reader {
  locale: Locale;
  timeZone: string;
}

/**
 * An exact decimal string (an e-invoice's `1234.5`) in the reader's number format, with at least
 * `minFractionDigits` decimals (8 at most); empty for no value.
 */
export function formatDecimal(value: string | undefined, locale: Locale, minFractionDigits: number): string {
  return value === undefined || value === ''
    ? ''
    : new Intl.NumberFormat(intlLocale[locale], {
        minimumFractionDigits: minFractionDigits,
        maximumFractionDigits: 8,
      }).format(Number(value));
}

export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(intlLocale[locale]).format(value);
}

/** A proportion as a percentage with two decimals in the reader's number format (0.99205 -> "99.21 %"). */
export function formatPercent(x: number, locale: Locale): string {
  return `${new Intl.NumberFormat(intlLocale[locale], { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Math.round(x * 10_000) / 100)} %`;
}

/** A file size in B, kB or MB (steps of 1024), one decimal, in the reader's number format. */
export function formatBytes(size: number, locale: Locale): string {
  const units = ['B', 'kB', 'MB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatNumber(Math.round(value * 10) / 10, locale)} ${units[unit]}`;
}
