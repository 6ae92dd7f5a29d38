import { Types } from 'mongoose';
import { Counter } from '../../../models/counter.js';
import { InvoiceKey } from '../../../models/invoice-key.js';
import { Ticket } from '../../../models/ticket.js';
import { coalescedInsert } from '../../db/coalesced-insert.js';
import { scopedCollection } from '../../db/scoped-collection.js';

/**
 * Duplicate supplier invoices, decided by a unique index instead of a scan of the tickets: each
 * invoice ticket claims the row (tenantId, `VAT|invoice number`) of models/invoice-key.ts after
 * it is stored. The ticket whose row went in is the original; a later one finds that row with
 * one indexed lookup and records it as `duplicateOf`. Two tickets for the same invoice at the
 * same moment: exactly one is the original.
 */

export interface DuplicateOf {
  id: Types.ObjectId;
  number: string;
}

interface InvoiceFields {
  supplierVat?: unknown;
  invoiceNumber?: unknown;
}

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/** Claims of concurrent invoice tickets go in one unordered insert, each failing on its own duplicate. */
const invoiceKeys = scopedCollection(InvoiceKey);
const tickets = scopedCollection(Ticket);
const insertKey = coalescedInsert(() => invoiceKeys);

/** `VAT|invoice number` (the VAT comes normalized from the ticket schemas), or null without both. */
export function invoiceKeyOf(fields: unknown): string | null {
  const f = (fields ?? {}) as InvoiceFields;
  if (
    typeof f.supplierVat !== 'string' ||
    typeof f.invoiceNumber !== 'string' ||
    !f.supplierVat ||
    !f.invoiceNumber
  )
    return null;
  return `${f.supplierVat}|${f.invoiceNumber.toLowerCase()}`;
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

const BACKFILL_MARKER = 'migration:invoice-keys';

/**
 * Once per database: rows for the invoice tickets stored before invoice keys existed, oldest
 * ticket first so that it stays the original. Safe to run on several nodes at once (the unique
 * index takes each key once); the marker is written only after a complete run.
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
