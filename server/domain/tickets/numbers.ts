import type { TicketType } from '../../../models/ticket.js';
import type { Locale } from '../../i18n/i18n.js';

/**
 * Numbers as people type them. One rule for the whole portal:
 *
 * - the API takes JSON numbers only (its schemas never coerce: `"12"`, `null`, `true`, `[7]` are refused);
 * - forms send text, read in the reader's locale: `1.250,40` (or `1250,40`) in Italian and Danish,
 *   `1,250.40` (or `1250.40`) in English. Grouping is optional but, when present, in groups of three;
 *   anything else (blank, hex, exponents, letters, the other locale's separators in the wrong place)
 *   is refused, never guessed;
 * - CSV imports take whole numbers, grouped with `.`, `,`, a space or `'` (a count has no decimals,
 *   so there is nothing to confuse).
 */

const separators: Record<Locale, { group: string; decimal: string }> = {
  en: { group: ',', decimal: '.' },
  it: { group: '.', decimal: ',' },
  da: { group: '.', decimal: ',' },
};

/** The reader's group and decimal separators (the keying screen's script reads numbers with them). */
export const separatorsOf = (locale: Locale): { group: string; decimal: string } => separators[locale];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const patterns = new Map<Locale, RegExp>();
function patternOf(locale: Locale): RegExp {
  let re = patterns.get(locale);
  if (!re) {
    const { group, decimal } = separators[locale];
    const g = escape(group);
    const d = escape(decimal);
    re = new RegExp(`^([-+]?)(\\d{1,3}(?:${g}\\d{3})+|\\d+)(?:${d}(\\d+))?$`);
    patterns.set(locale, re);
  }
  return re;
}

/** A number typed in a form, read in the reader's locale; `null` when it is not one. */
export function parseLocaleNumber(text: string, locale: Locale): number | null {
  // Spaces a spreadsheet or a phone may put around or inside (no-break, narrow no-break) are not digits.
  const compact = text.trim().replace(/[\u00a0\u202f]/g, '');
  const m = patternOf(locale).exec(compact);
  if (!m) return null;
  const [, sign, whole = '', fraction] = m;
  const value = Number(
    `${sign === '-' ? '-' : ''}${whole.split(separators[locale].group).join('')}${fraction ? `.${fraction}` : ''}`,
  );
  return Number.isFinite(value) ? value : null;
}

const intlLocale: Record<Locale, string> = { en: 'en-GB', it: 'it-IT', da: 'da-DK' };
const inputFormats = new Map<string, Intl.NumberFormat>();

/**
 * A number shown in a form field as the rest of the page shows it (Italian groups from five
 * digits: 1250,4 but 12.500), so that `parseLocaleNumber` reads it back to the same value.
 */
export function formatInputNumber(value: unknown, locale: Locale, minFractionDigits = 0): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return typeof value === 'string' ? value : '';
  const key = `${locale}|${minFractionDigits}`;
  let format = inputFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(intlLocale[locale], {
      minimumFractionDigits: minFractionDigits,
      maximumFractionDigits: 20,
    });
    inputFormats.set(key, format);
  }
  return format.format(value);
}

/** A whole number in a CSV cell (`1200`, `1.200`, `1,200`, `1 200`, `1'200`); `null` when it is not one. */
export function parseCsvCount(cell: string): number | null {
  const compact = cell.trim().replace(/[\u00a0\u202f]/g, ' ');
  const m = /^\d+$/.test(compact) ? [compact] : /^\d{1,3}([., '])\d{3}(?:\1\d{3})*$/.exec(compact);
  if (!m) return null;
  const value = Number(compact.replace(/[., ']/g, ''));
  return Number.isSafeInteger(value) ? value : null;
}

/** The fields of each ticket type that hold numbers (forms send them as text). */
export const numericFields: Record<TicketType, readonly string[]> = {
  data_entry: ['expectedRecordCount', 'recordsCompleted', 'errorCount'],
  complaint: [],
  invoice: ['amount'],
};

/**
 * A form's type fields for the domain's schema: numbers read in the reader's locale. Text that
 * is not a number stays text, so the schema refuses it with a field error (never 0 or NaN);
 * an empty field is absent.
 */
export function readFormFields(
  type: TicketType,
  fields: Record<string, unknown>,
  locale: Locale,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  for (const name of numericFields[type]) {
    const raw = out[name];
    if (typeof raw !== 'string') continue;
    if (raw.trim() === '') {
      delete out[name];
      continue;
    }
    const value = parseLocaleNumber(raw, locale);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** A ticket's stored fields as a form shows them: numbers in the reader's format. */
export function fieldsForForm(
  type: TicketType,
  fields: Record<string, unknown>,
  locale: Locale,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  for (const name of numericFields[type])
    if (typeof out[name] === 'number') out[name] = formatInputNumber(out[name], locale);
  return out;
}
