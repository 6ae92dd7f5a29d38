import type { Types } from 'mongoose';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import type { Ctx } from '../context.js';
import { mayAccessTenant } from '../tenants/scope.js';
import type { Finding, InvoiceLine, PaymentTerms, SignatureInfo, VatSummary, DueDate } from './types.js';

export interface TicketEInvoice {
  filename: string;
  entryName?: string;
  format: string;
  kind: string;
  documentType?: string;
  attachmentId: Types.ObjectId;
  signature?: SignatureInfo;
  findings: Finding[];
  /** The overrides of its error findings, by finding id (tickets/finding-state.ts). */
  overrides: Record<string, unknown>;
  lines: InvoiceLine[];
  vatSummary: VatSummary[];
  dueDates: DueDate[];
  paymentTerms?: PaymentTerms;
  corrects: string[];
  /** The tickets of the other invoices of the same file. */
  siblings: { number: string }[];
  /** Credit notes: the tickets of the invoices they correct; invoices: the credit notes correcting them. */
  correctsTickets: { number: string }[];
  correctedBy: { number: string }[];
}

/**
 * What the e-invoice file said about a ticket the caller may see (read by `getTicket` before),
 * or null for a ticket not made from a file.
 */
export async function einvoiceOfTicket(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
): Promise<TicketEInvoice | null> {
  if (!mayAccessTenant(ctx, String(ticket.tenantId))) return null;
  const row = await EInvoiceRecord.findOne({ tenantId: ticket.tenantId, ticketId: ticket._id }).lean();
  if (!row) return null;
  const siblings = row.siblingTicketIds.length
    ? await Ticket.find(
        { tenantId: ticket.tenantId, _id: { $in: row.siblingTicketIds } },
        { number: 1, seq: 1 },
      )
        .sort({ seq: 1 })
        .lean()
    : [];
  const numbersOf = async (ids: Types.ObjectId[] | undefined) =>
    ids?.length
      ? (
          await Ticket.find({ tenantId: ticket.tenantId, _id: { $in: ids } }, { number: 1, seq: 1 })
            .sort({ seq: 1 })
            .lean()
        ).map((t) => ({ number: t.number }))
      : [];
  const [correctsTickets, correctedBy] = await Promise.all([
    numbersOf(row.correctsTicketIds),
    numbersOf(row.correctedByTicketIds),
  ]);
  return {
    filename: row.filename,
    ...(row.entryName ? { entryName: row.entryName } : {}),
    format: row.format,
    kind: row.kind,
    ...(row.documentType ? { documentType: row.documentType } : {}),
    attachmentId: row.attachmentId,
    ...(row.signature ? { signature: row.signature as SignatureInfo } : {}),
    findings: row.findings as Finding[],
    overrides: (row.overrides ?? {}) as Record<string, unknown>,
    lines: row.lines as InvoiceLine[],
    vatSummary: row.vatSummary as VatSummary[],
    dueDates: row.dueDates as DueDate[],
    ...(row.paymentTerms ? { paymentTerms: row.paymentTerms as PaymentTerms } : {}),
    corrects: row.corrects,
    siblings: siblings.map((s) => ({ number: s.number })),
    correctsTickets,
    correctedBy,
  };
}
