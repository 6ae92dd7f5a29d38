import type { Types } from 'mongoose';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { GroupCommit } from '../../db/group-commit.js';
import type { EInvoice } from './types.js';

/**
 * Links a credit note and the invoices it corrects, both ways, within one tenant: same supplier
 * VAT number, and the invoice's number among the numbers the credit note names. Called for every
 * invoice received (the credit note may come first: the invoice, when it arrives, finds it).
 * Only `$addToSet` updates, each complete on its own: running it again (a re-sending after a
 * crash) completes the links and duplicates nothing.
 */
export async function linkCreditNotes(
  tenantId: Types.ObjectId,
  ticketId: Types.ObjectId,
  invoice: EInvoice,
): Promise<void> {
  const vat = invoice.fields.supplierVat;
  if (!vat) return;
  if (invoice.kind === 'credit_note') {
    if (invoice.corrects.length === 0) return;
    const targets = await EInvoiceRecord.find(
      { tenantId, supplierVat: vat, number: { $in: invoice.corrects }, kind: 'invoice' },
      { ticketId: 1 },
    ).lean();
    await link(
      tenantId,
      ticketId,
      targets.map((t) => t.ticketId),
    );
    return;
  }
  if (!invoice.number) return;
  const notes = await notesOf(tenantId).submit({ vat, number: invoice.number });
  for (const note of notes) await link(tenantId, note, [ticketId]);
}

interface NoteAsk {
  vat: string;
  number: string;
}

/**
 * The credit notes that name an invoice. Asked for several invoices of a tenant at once (a batch
 * writing its files together), one query answers them all (group commit).
 */
const noteLookups = new Map<string, GroupCommit<NoteAsk, Types.ObjectId[]>>();
function notesOf(tenantId: Types.ObjectId): GroupCommit<NoteAsk, Types.ObjectId[]> {
  let group = noteLookups.get(String(tenantId));
  if (!group) {
    group = new GroupCommit<NoteAsk, Types.ObjectId[]>(async (asks) => {
      const notes = await EInvoiceRecord.find(
        {
          tenantId,
          kind: 'credit_note',
          ...(asks.length === 1
            ? { supplierVat: asks[0]!.vat, corrects: asks[0]!.number }
            : { $or: asks.map((a) => ({ supplierVat: a.vat, corrects: a.number })) }),
        },
        { ticketId: 1, supplierVat: 1, corrects: 1 },
      ).lean();
      return asks.map((a) => ({
        ok: true as const,
        value: notes
          .filter((n) => n.supplierVat === a.vat && (n.corrects ?? []).includes(a.number))
          .map((n) => n.ticketId),
      }));
    });
    // Bounded: a node serving thousands of tenants keeps the busy ones.
    if (noteLookups.size >= 10_000) noteLookups.clear();
    noteLookups.set(String(tenantId), group);
  }
  return group;
}

async function link(
  tenantId: Types.ObjectId,
  noteTicketId: Types.ObjectId,
  invoiceTicketIds: Types.ObjectId[],
) {
  if (invoiceTicketIds.length === 0) return;
  await EInvoiceRecord.updateMany(
    { tenantId, ticketId: noteTicketId },
    { $addToSet: { correctsTicketIds: { $each: invoiceTicketIds } } },
  );
  await EInvoiceRecord.updateMany(
    { tenantId, ticketId: { $in: invoiceTicketIds } },
    { $addToSet: { correctedByTicketIds: noteTicketId } },
  );
}
