import { escapeRegExp } from '../regex.js';

/** What the staff search matches: number, subject, requester and the type's references. */
export function searchTextOf(t: {
  number: string;
  subject: string;
  requester: { name?: string | null; email?: string | null } | null;
  type: string;
  fields: Record<string, unknown>;
}): string {
  const f = t.fields;
  const parts: unknown[] = [t.number, t.subject, t.requester?.name, t.requester?.email];
  if (t.type === 'invoice') parts.push(f.supplierName, f.supplierVat, f.invoiceNumber, f.poNumber);
  if (t.type === 'complaint') parts.push(f.customerName, f.customerReference);
  if (t.type === 'data_entry') parts.push(f.targetSystem);
  return parts
    .filter((p) => typeof p === 'string' && p)
    .join(' \u0001 ')
    .toLowerCase();
}

/** A user's words as a literal, case-insensitive regular expression (never a pattern of theirs). */
export function literalPattern(q: string): string {
  return escapeRegExp(q.toLowerCase());
}
