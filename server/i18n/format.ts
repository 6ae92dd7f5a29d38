import type { Locale } from './i18n.js';

const intlLocale: Record<Locale, string> = { en: 'en-GB', it: 'it-IT', da: 'da-DK' };

export const intlLocaleOf = (locale: Locale): string => intlLocale[locale];

/** A date and time as the reader expects it: their locale, the tenant's time zone. */
export function formatDateTime(value: Date | string | number | null | undefined, locale: Locale, timeZone: string): string {
  if (value === null || value === undefined || value === '') return '';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(intlLocale[locale], {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  }).format(date);
}

export function formatDate(value: Date | string | number | null | undefined, locale: Locale, timeZone: string): string {
  if (value === null || value === undefined || value === '') return '';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(intlLocale[locale], { dateStyle: 'medium', timeZone }).format(date);
}

export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(intlLocale[locale]).format(value);
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
