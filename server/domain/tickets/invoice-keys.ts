import { Types } from 'mongoose';
import { Counter } from '../../../models/counter.js';
import { InvoiceKey } from '../../../models/invoice-key.js';
import { Ticket } from '../../../models/ticket.js';
import { coalescedInsert } from '../../db/coalesced-insert.js';
import { crossTenant, scopedCollection } from '../../db/scoped-collection.js';
import { vatWithoutPrefix } from './vat.js';

/**
 * Duplicate supplier invoices, decided by a unique index instead of a scan of the tickets: each
 * invoice ticket claims the row (tenantId, `issue date|VAT|invoice number`) of
 * models/invoice-key.ts after it is stored. The ticket whose row went in is the original; a later
 * one finds that row with one indexed lookup and records it as `duplicateOf`. Two tickets for the
 * same invoice at the same moment: exactly one is the original. Every channel (form, API, CSV,
 * mail, e-invoice files of any format) stores its tickets through `createTicket`, so the rule
 * is the same for all of them and in either order.
 */

export interface DuplicateOf {
  id: Types.ObjectId;
  number: string;
}

interface InvoiceFields {
  supplierVat?: unknown;
  invoiceNumber?: unknown;
  issueDate?: unknown;
}

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/** Claims of concurrent invoice tickets go in one unordered insert, each failing on its own duplicate. */
const invoiceKeys = scopedCollection(InvoiceKey);
const tickets = scopedCollection(Ticket);
const insertKey = coalescedInsert(() => invoiceKeys);

/** An issue date as a calendar date (`YYYY-MM-DD`): an ISO date, with or without a time or zone after it. */
function calendarDate(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, 10);
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d{4}-\d{2}-\d{2})/.exec(value);
  return m ? (m[1] as string) : null;
}

/** Keys of this rule start with the date: a row of the older `VAT|number` rule never does. */
const CURRENT_KEY = /^\d{4}-\d{2}-\d{2}\|/;

/**
 * `issue date|VAT|invoice number`, or null without all three: the VAT without spaces, dots or
 * its country prefix (vat.ts `vatWithoutPrefix`), the number trimmed and in lower case, the date
 * as a calendar date. The same supplier invoice typed on the form, sent through the API or as a
 * FatturaPA or UBL file gives the same key; the same number on another day does not.
 */
export function invoiceKeyOf(fields: unknown): string | null {
  const f = (fields ?? {}) as InvoiceFields;
  if (typeof f.supplierVat !== 'string' || typeof f.invoiceNumber !== 'string') return null;
  const vat = vatWithoutPrefix(f.supplierVat);
  const number = f.invoiceNumber.trim().toLowerCase();
  const date = calendarDate(f.issueDate);
  if (!vat || !number || !date) return null;
  return `${date}|${vat}|${number}`;
}

/**
 * Claim a just-stored invoice ticket's key. Returns null when it is the first ticket for this
 * invoice (or not an invoice with a supplier VAT and number, e.g. one opened by mail); else the
 * original, which is also set as the stored ticket's `duplicateOf`.
 */
export async function claimInvoiceKey(ticket: {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  number: string;
  type: string;
  fields?: unknown;
}): Promise<DuplicateOf | null> {
  if (ticket.type !== 'invoice') return null;
  const key = invoiceKeyOf(ticket.fields);
  if (!key) return null;
  try {
    await insertKey({
      _id: new Types.ObjectId(),
      tenantId: ticket.tenantId,
      key,
      ticketId: ticket._id,
      number: ticket.number,
      createdAt: new Date(),
    });
    return null;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  // Filter = the unique index's keys exactly: the engine answers it from the index.
  const first = await InvoiceKey.findOne({ tenantId: ticket.tenantId, key }).lean();
  if (!first || first.ticketId.equals(ticket._id)) return null;
  const duplicateOf: DuplicateOf = { id: first.ticketId, number: first.number };
  // By _id and its tenant (the ticket was just stored under it): the engine uses the _id index.
  await tickets.updateOne({ _id: ticket._id, tenantId: ticket.tenantId }, { $set: { duplicateOf } });
  return duplicateOf;
}

/** The second run of the backfill: the rule gained the issue date (issue 17 item 6). */
const BACKFILL_MARKER = 'migration:invoice-keys-v2';

/**
 * Once per database: rows under the current rule for the invoice tickets stored before it
 * (before invoice keys existed, or keyed by the older `VAT|number` rule), oldest ticket first so
 * that it stays the original; then the rows of the older rule are removed. Safe to run on
 * several nodes at once (the unique index takes each key once) and to run again after a crash
 * part-way (inserts of keys already there are ignored, the removal is repeated); the marker is
 * written only after a complete run. The `duplicateOf` a ticket already carries is left as it
 * was: staff may have acted on it.
 */
export async function backfillInvoiceKeys(): Promise<number> {
  if (await Counter.exists({ _id: BACKFILL_MARKER })) return 0;
  // By cursor: a database old enough to need this may hold many tickets.
  const tickets = Ticket.find({ type: 'invoice' })
    .setOptions({ allTenants: true })
    .sort({ tenantId: 1, seq: 1 })
    .select({ tenantId: 1, number: 1, fields: 1 })
    .lean()
    .cursor({ batchSize: 500 });
  let inserted = 0;
  for await (const t of tickets) {
    const key = invoiceKeyOf(t.fields);
    if (!key) continue;
    try {
      await invoiceKeys.insertOne({
        tenantId: t.tenantId,
        key,
        ticketId: t._id,
        number: t.number,
        createdAt: new Date(),
      });
      inserted++;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  await crossTenant(InvoiceKey, 'migration: rows of the older key rule, in every tenant').deleteMany({
    key: { $not: CURRENT_KEY },
  });
  await Counter.updateOne({ _id: BACKFILL_MARKER }, { $set: { seq: 1 } }, { upsert: true });
  return inserted;
}

/**
 * After staff corrected an invoice's supplier VAT or number, or changed a ticket's type to or from
 * invoice: its old key is released (a later ticket for that invoice is not its duplicate any more)
 * and the new one claimed, setting or clearing `duplicateOf`.
 */
export async function reclaimInvoiceKey(
  before: { type: string; fields?: unknown },
  after: {
    _id: Types.ObjectId;
    tenantId: Types.ObjectId;
    number: string;
    type: string;
    fields?: unknown;
    duplicateOf?: unknown;
  },
): Promise<DuplicateOf | null | undefined> {
  const oldKey = before.type === 'invoice' ? invoiceKeyOf(before.fields) : null;
  const newKey = after.type === 'invoice' ? invoiceKeyOf(after.fields) : null;
  if (oldKey === newKey) return undefined;
  if (oldKey) await InvoiceKey.deleteOne({ tenantId: after.tenantId, key: oldKey, ticketId: after._id });
  const duplicateOf = await claimInvoiceKey(after);
  if (!duplicateOf && after.duplicateOf)
    await tickets.updateOne({ _id: after._id, tenantId: after.tenantId }, { $set: { duplicateOf: null } });
  return duplicateOf;
}
