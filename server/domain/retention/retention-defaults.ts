import type { RetentionKind, RetentionStart } from '../../../models/retention-policy.js';

export interface RetentionRule {
  years: number;
  months: number;
  start: RetentionStart;
}

export type RetentionRules = Record<RetentionKind, RetentionRule>;

const rule = (years: number, start: RetentionStart, months = 0): RetentionRule => ({ years, months, start });

/**
 * The law's periods where we know them, the rest a sensible default a client may change
 * (../shared/bpo-reference.md, "Retention"):
 * - Italy, art. 2220 of the Civil Code: accounting records and invoices ten years; we count them
 *   from the invoice's date, and the tickets that are those records from their closing.
 * - Denmark, bookkeeping act (bogføringsloven): five years from the end of the financial year
 *   the material concerns.
 * - Raw inbound mail is a transport copy (the ticket and its files are the record): one year.
 */
export const countryDefaults: Record<string, RetentionRules> = {
  IT: {
    invoice_files: rule(10, 'invoice_date'),
    attachments: rule(10, 'ticket_closed'),
    tickets: rule(10, 'ticket_closed'),
    inbound_mail: rule(1, 'created'),
    audit: rule(10, 'created'),
  },
  DK: {
    invoice_files: rule(5, 'financial_year_end'),
    attachments: rule(5, 'financial_year_end'),
    tickets: rule(5, 'financial_year_end'),
    inbound_mail: rule(1, 'created'),
    audit: rule(5, 'financial_year_end'),
  },
};

/** Clients of other countries (or none known): ten years for invoices, five for the rest, until set. */
export const otherCountryDefaults: RetentionRules = {
  invoice_files: rule(10, 'invoice_date'),
  attachments: rule(5, 'ticket_closed'),
  tickets: rule(5, 'ticket_closed'),
  inbound_mail: rule(1, 'created'),
  audit: rule(5, 'created'),
};

export const defaultsFor = (country: string | null): RetentionRules =>
  (country && countryDefaults[country]) || otherCountryDefaults;

/** The client's country: the one set, else the prefix of its VAT number (IT…, DK…), else none. */
export function countryOf(
  set: string | null | undefined,
  vatNumber: string | null | undefined,
): string | null {
  if (set) return set;
  const prefix = /^([A-Z]{2})/.exec(vatNumber ?? '')?.[1];
  return prefix ?? null;
}
