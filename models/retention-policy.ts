import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/** What retention distinguishes (issue #20): each kind has its own period and start. */
export const retentionKinds = ['invoice_files', 'attachments', 'tickets', 'inbound_mail', 'audit'] as const;
export type RetentionKind = (typeof retentionKinds)[number];

/**
 * Where a period starts: the ticket's closing, the invoice's date, the end of the client's
 * financial year in which the invoice date (else the closing) falls, or the record's own creation.
 */
export const retentionStarts = ['ticket_closed', 'invoice_date', 'financial_year_end', 'created'] as const;
export type RetentionStart = (typeof retentionStarts)[number];

const ruleSchema = new Schema(
  {
    kind: { type: String, required: true, enum: retentionKinds },
    years: { type: Number, required: true, min: 0, max: 30 },
    months: { type: Number, required: true, min: 0, max: 11 },
    start: { type: String, required: true, enum: retentionStarts },
  },
  { _id: false },
);

/**
 * A client's retention settings, one document per client: its country (whose law gives the
 * defaults; null: taken from the VAT number), the end of its financial year ('MM-DD') and the
 * rules it sets itself; a kind without a rule here follows its country's default.
 */
const retentionPolicySchema = new Schema(
  {
    tenantId: { ...tenantRef(), unique: true },
    country: { type: String, default: null, match: /^[A-Z]{2}$/ },
    financialYearEnd: { type: String, required: true, default: '12-31', match: /^\d{2}-\d{2}$/ },
    rules: { type: [ruleSchema], default: [] },
    updatedBy: { type: { id: 'ObjectId', name: String }, _id: false, default: null },
  },
  { timestamps: true },
);
retentionPolicySchema.plugin(tenantScopePlugin);

export type RetentionPolicyAttrs = InferSchemaType<typeof retentionPolicySchema>;
export const RetentionPolicy = mongoose.model('RetentionPolicy', retentionPolicySchema);
