import type { Types } from 'mongoose';
import { EInvoiceRecord } from '../../../models/einvoice.js';
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
  const notes = await EInvoiceRecord.find(
    { tenantId, supplierVat: vat, corrects: invoice.number, kind: 'credit_note' },
    { ticketId: 1 },
  ).lean();
  for (const note of notes) await link(tenantId, note.ticketId, [ticketId]);
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
