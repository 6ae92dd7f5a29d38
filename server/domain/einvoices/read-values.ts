import { readDecimal } from './decimal.js';
import { finding, isIsoDate } from './findings.js';
import type { Finding } from './types.js';
import { locationOf, text } from './xml-nav.js';

/**
 * The value readers both formats share: a decimal or a date read from an element's text, with a
 * finding (rule `<format>.decimal` / `<format>.date`) pushed to `findings` when the text is not one.
 */
export interface ValueReader {
  findings: Finding[];
  decimal: (el: Element | undefined, field: string, path?: string) => string | undefined;
  date: (el: Element | undefined, field: string) => string | undefined;
}

export function valueReader(findings: Finding[], format: 'fatturapa' | 'ubl'): ValueReader {
  return {
    findings,
    decimal: (el, field, path) => {
      const raw = text(el);
      if (raw === undefined) return undefined;
      const value = readDecimal(raw);
      if (value === undefined)
        findings.push(
          finding(
            'error',
            `${format}.decimal`,
            'einvoices.not_decimal',
            { field, value: raw.slice(0, 40) },
            locationOf(el, path),
          ),
        );
      return value;
    },
    date: (el, field) => {
      const raw = text(el);
      if (raw === undefined) return undefined;
      if (!isIsoDate(raw)) {
        findings.push(
          finding(
            'error',
            `${format}.date`,
            'einvoices.not_date',
            { field, value: raw.slice(0, 40) },
            locationOf(el),
          ),
        );
        return undefined;
      }
      return raw;
    },
  };
}

/** The texts of the elements, without the empty ones. */
export const textsOf = (els: Element[]): string[] => els.map(text).filter((v): v is string => !!v);
