import type { TicketType } from '../../../models/ticket.js';
import { formatDateTime } from '../../i18n/format.js';
import type { Locale } from '../../i18n/i18n.js';
import { fieldValueText } from '../tickets/timeline-view.js';

/**
 * The placeholders a macro's reply may hold, as data: the name written in the text between double
 * braces (`{{ticket.number}}`), the ticket types it is valid for (null: every type) and where its
 * value comes from. Saving a macro refuses a name not listed here or one not valid for the
 * macro's type; applying one refuses a placeholder whose value the ticket does not have.
 */
export interface PlaceholderSource {
  ticket: {
    number: string;
    subject: string;
    type: string;
    requester?: { name?: string | null } | null;
    fields?: unknown;
    sla?: unknown;
  };
  operatorName: string;
  locale: Locale;
  timeZone: string;
}

export interface Placeholder {
  name: string;
  /** null: valid for every ticket type. */
  types: readonly TicketType[] | null;
  value: (src: PlaceholderSource) => string | null;
}

const present = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);

/** A type field's value as the requester reads it (their locale, the amount in its currency). */
const field =
  (name: string) =>
  (src: PlaceholderSource): string | null => {
    const fields = (src.ticket.fields ?? {}) as Record<string, unknown>;
    const v = fields[name];
    if (v === undefined || v === null || v === '') return null;
    return fieldValueText(name, v, src.locale, { fields });
  };

/** A due time of the ticket's SLA clock, in the client's time zone and the reader's locale. */
const due =
  (target: 'firstResponse' | 'resolution') =>
  (src: PlaceholderSource): string | null => {
    const sla = src.ticket.sla as Record<string, { dueAt?: unknown } | undefined> | null | undefined;
    const at = sla?.[target]?.dueAt;
    if (!(at instanceof Date) && typeof at !== 'string') return null;
    return formatDateTime(at, src.locale, src.timeZone) || null;
  };

export const placeholders: readonly Placeholder[] = [
  { name: 'requester.name', types: null, value: (s) => present(s.ticket.requester?.name) },
  { name: 'ticket.number', types: null, value: (s) => present(s.ticket.number) },
  { name: 'ticket.subject', types: null, value: (s) => present(s.ticket.subject) },
  { name: 'operator.name', types: null, value: (s) => present(s.operatorName) },
  { name: 'due.first_response', types: null, value: due('firstResponse') },
  { name: 'due.resolution', types: null, value: due('resolution') },
  { name: 'invoice.number', types: ['invoice'], value: field('invoiceNumber') },
  { name: 'invoice.supplier', types: ['invoice'], value: field('supplierName') },
  { name: 'invoice.supplier_vat', types: ['invoice'], value: field('supplierVat') },
  { name: 'invoice.amount', types: ['invoice'], value: field('amount') },
  { name: 'invoice.due_date', types: ['invoice'], value: field('dueDate') },
  { name: 'invoice.po_number', types: ['invoice'], value: field('poNumber') },
  { name: 'complaint.customer', types: ['complaint'], value: field('customerName') },
  { name: 'complaint.reference', types: ['complaint'], value: field('customerReference') },
  { name: 'data_entry.target_system', types: ['data_entry'], value: field('targetSystem') },
  { name: 'data_entry.expected_records', types: ['data_entry'], value: field('expectedRecordCount') },
];

const byName = new Map(placeholders.map((p) => [p.name, p]));

/** `{{ name }}` in a text: the name between double braces, spaces around it allowed. */
const token = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholder names a text uses, in order of first use. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(token)].map((m) => m[1] ?? ''))];
}

/** Why a name cannot be used in a macro of this type: unknown, or for another ticket type. */
export function placeholderProblem(
  name: string,
  type: TicketType | null,
): { key: 'unknown' | 'wrong_type'; types: string } | null {
  const p = byName.get(name);
  if (!p) return { key: 'unknown', types: '' };
  if (p.types && (type === null || !p.types.includes(type)))
    return { key: 'wrong_type', types: p.types.join(', ') };
  return null;
}

/** The names valid in a macro of this type (the form lists them). */
export function placeholdersFor(type: TicketType | null): string[] {
  return placeholders.filter((p) => !p.types || (type && p.types.includes(type))).map((p) => p.name);
}

/**
 * The text with every placeholder replaced by the ticket's value, and the names whose value is
 * missing (left as written in the text: the caller refuses to send it).
 */
export function fillPlaceholders(text: string, src: PlaceholderSource): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const filled = text.replace(token, (whole, raw: string) => {
    const value = byName.get(raw)?.value(src) ?? null;
    if (value === null) {
      missing.add(raw);
      return whole;
    }
    return value;
  });
  return { text: filled, missing: [...missing] };
}
