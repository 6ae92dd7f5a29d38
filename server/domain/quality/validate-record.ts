import type { Locale } from '../../i18n/i18n.js';
import { parseLocaleNumber } from '../tickets/numbers.js';
import { checkVat } from '../tickets/vat.js';
import { checkIban } from './iban.js';
import type { LayoutField, RecordLayout } from './record-layout.js';

/**
 * Field validation of keyed records, the same whether a value is typed in the keying screen (as
 * you type) or comes from a CSV/XLSX import: text as typed, read in the keyer's locale where the
 * type has one, and stored normalised:
 *
 * - text: trimmed, at most the field's length;
 * - number: the reader's locale (numbers.ts), at most the field's decimals, within min/max;
 * - date: YYYY-MM-DD, or day first DD/MM/YYYY (also with . or -), a real calendar day; stored
 *   as YYYY-MM-DD;
 * - code: one of the layout's codes, any case; stored as the layout spells it;
 * - vat: tickets/vat.ts (country prefix, VIES format, Italian and Danish check digits);
 * - iban: iban.ts (registry length, ISO 7064 mod 97).
 *
 * A refusal names a translation key and its parameters (catalogue `quality`, or the shared
 * `validation.*` and `exact.*` keys).
 */

export type FieldValue = string | number | null;

export type FieldCheck =
  { ok: true; value: FieldValue } | { ok: false; key: string; params: Record<string, string | number> };

const fail = (key: string, params: Record<string, string | number> = {}): FieldCheck => ({
  ok: false,
  key,
  params,
});

function isoDay(year: number, month: number, day: number): string | null {
  if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1) return null;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** A date as keyed: ISO YYYY-MM-DD or day-first DD/MM/YYYY (/, . or -); null when not a real day. */
export function parseKeyedDate(text: string): string | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (iso) return isoDay(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const dayFirst = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$/.exec(text);
  if (dayFirst) return isoDay(Number(dayFirst[4]), Number(dayFirst[3]), Number(dayFirst[1]));
  return null;
}

export function validateFieldValue(
  field: LayoutField,
  raw: string | null | undefined,
  locale: Locale,
): FieldCheck {
  const text = (raw ?? '').trim();
  if (text === '') return field.required ? fail('validation.required') : { ok: true, value: null };
  switch (field.type) {
    case 'text':
      return text.length > field.maxLength
        ? fail('validation.too_long', { max: field.maxLength })
        : { ok: true, value: text };
    case 'number': {
      const value = parseLocaleNumber(text, locale);
      if (value === null) return fail('exact.number');
      const fraction = /[.,](\d+)$/.exec(text.replace(/[\u00a0\u202f\s]/g, ''));
      const decimals = fraction && value !== Math.trunc(value) ? fraction[1]!.replace(/0+$/, '').length : 0;
      if (decimals > field.decimals) {
        return field.decimals === 0
          ? fail('exact.whole_number')
          : fail('quality.field.decimals', { decimals: field.decimals });
      }
      if (field.min !== undefined && value < field.min)
        return fail('validation.too_small', { min: field.min });
      if (field.max !== undefined && value > field.max) return fail('validation.too_big', { max: field.max });
      return { ok: true, value };
    }
    case 'date': {
      const day = parseKeyedDate(text);
      return day === null ? fail('quality.field.date') : { ok: true, value: day };
    }
    case 'code': {
      const code = field.codes.find((c) => c.toLowerCase() === text.toLowerCase());
      return code === undefined ? fail('validation.invalid_choice') : { ok: true, value: code };
    }
    case 'vat': {
      const checked = checkVat(text);
      return checked.ok ? { ok: true, value: checked.vat } : fail(checked.key, checked.params);
    }
    case 'iban': {
      const checked = checkIban(text);
      return checked.ok ? { ok: true, value: checked.iban } : fail(checked.key, checked.params);
    }
  }
}

export interface RecordCheck {
  ok: boolean;
  /** Normalised values by field key (null for an empty optional field or a refused value). */
  values: Record<string, FieldValue>;
  /** Refusals in layout order. */
  errors: { field: string; key: string; params: Record<string, string | number> }[];
}

/** Validate one record against its layout; keys not in the layout are refused. */
export function validateRecord(
  layout: Pick<RecordLayout, 'fields'>,
  raw: Readonly<Record<string, string | null | undefined>>,
  locale: Locale,
): RecordCheck {
  const values: Record<string, FieldValue> = {};
  const errors: RecordCheck['errors'] = [];
  for (const field of layout.fields) {
    const checked = validateFieldValue(field, raw[field.key], locale);
    if (checked.ok) values[field.key] = checked.value;
    else {
      values[field.key] = null;
      errors.push({ field: field.key, key: checked.key, params: checked.params });
    }
  }
  const known = new Set(layout.fields.map((f) => f.key));
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) errors.push({ field: key, key: 'quality.field.unknown', params: { field: key } });
  }
  return { ok: errors.length === 0, values, errors };
}
