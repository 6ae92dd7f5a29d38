import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/**
 * What an e-invoice file said about one invoice ticket made from it (domain/einvoices/
 * receive-einvoice.ts): one row per invoice of a received file. The unique index on
 * (tenantId, fileHash, bodyIndex) makes each invoice of a file a ticket once: a retry, or the
 * same file sent again after a crash, completes the rows (and tickets) missing and duplicates
 * none. `siblingTicketIds` are the tickets of the other invoices of the same file.
 */
const einvoiceSchema = new Schema({
  tenantId: tenantRef(),
  /** sha256 (hex) of the bytes received (the ZIP, the .p7m or the XML as sent). */
  fileHash: { type: String, required: true },
  /** The invoice's position among all invoices of the file (FatturaPA bodies, ZIP entries), from 0. */
  bodyIndex: { type: Number, required: true },
  ticketId: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
  /** The original file, stored once for all its invoices (an attachment of the first one's ticket). */
  attachmentId: { type: Schema.Types.ObjectId, ref: 'Attachment', required: true },
  filename: { type: String, required: true },
  /** The entry's name when the file was a ZIP. */
  entryName: { type: String },
  format: { type: String, required: true },
  kind: { type: String, required: true, enum: ['invoice', 'credit_note'] },
  documentType: { type: String },
  signature: { type: Schema.Types.Mixed },
  findings: { type: [Schema.Types.Mixed], default: [] },
  lines: { type: [Schema.Types.Mixed], default: [] },
  vatSummary: { type: [Schema.Types.Mixed], default: [] },
  paymentTerms: { type: Schema.Types.Mixed },
  dueDates: { type: [Schema.Types.Mixed], default: [] },
  /** Credit notes: the numbers of the invoices they correct. */
  corrects: { type: [String], default: [] },
  siblingTicketIds: { type: [Schema.Types.ObjectId], default: [] },
  /** The supplier's VAT number and the document number (how a credit note finds its invoice). */
  supplierVat: { type: String },
  number: { type: String },
  /** Credit notes: the tickets of the invoices they correct; invoices: the credit notes correcting them. */
  correctsTicketIds: { type: [Schema.Types.ObjectId], default: [] },
  correctedByTicketIds: { type: [Schema.Types.ObjectId], default: [] },
  /**
   * Error findings overridden by staff (domain/einvoices/override-finding.ts), by finding id
   * (domain/tickets/finding-state.ts `findingId`): `{ by: { id, name }, at, reason, rule }`. Written
   * once per finding by a conditional update (the first of two concurrent overrides wins).
   */
  overrides: { type: Schema.Types.Mixed, default: () => ({}) },
  createdAt: { type: Date, required: true, default: () => new Date() },
});
einvoiceSchema.index({ tenantId: 1, fileHash: 1, bodyIndex: 1 }, { unique: true });
einvoiceSchema.index({ tenantId: 1, ticketId: 1 });
einvoiceSchema.index({ tenantId: 1, supplierVat: 1, number: 1 });
einvoiceSchema.index({ tenantId: 1, supplierVat: 1, corrects: 1 });
einvoiceSchema.plugin(tenantScopePlugin);

export type EInvoiceAttrs = InferSchemaType<typeof einvoiceSchema>;
export const EInvoiceRecord = mongoose.model('EInvoice', einvoiceSchema);
