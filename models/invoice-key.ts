import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/**
 * One row per supplier invoice a tenant has a ticket for: `key` is the supplier's VAT number
 * (normalized by the ticket schemas) and the invoice number in lower case, `VAT|number`. The
 * unique index on (tenantId, key) decides which ticket came first: the one whose row went in.
 * A later ticket for the same invoice finds that row with one indexed lookup and is flagged as
 * its duplicate (no scan of the tickets).
 */
const invoiceKeySchema = new Schema({
  tenantId: tenantRef(),
  key: { type: String, required: true },
  ticketId: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
  number: { type: String, required: true },
  createdAt: { type: Date, required: true, default: () => new Date() },
});
invoiceKeySchema.index({ tenantId: 1, key: 1 }, { unique: true });
invoiceKeySchema.plugin(tenantScopePlugin);

export type InvoiceKeyAttrs = InferSchemaType<typeof invoiceKeySchema>;
export const InvoiceKey = mongoose.model('InvoiceKey', invoiceKeySchema);
