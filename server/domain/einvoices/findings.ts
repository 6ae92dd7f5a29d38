import type { Finding, FindingLocation, FindingSeverity } from './types.js';

/** A finding; `messageKey` is a key of the `einvoices` catalogue. */
export function finding(
  severity: FindingSeverity,
  rule: string,
  messageKey: string,
  params: Record<string, string | number> = {},
  location?: FindingLocation,
): Finding {
  return location ? { severity, rule, messageKey, params, location } : { severity, rule, messageKey, params };
}

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** An ISO date (`2026-03-31`) that exists in the calendar. */
export function isIsoDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}
