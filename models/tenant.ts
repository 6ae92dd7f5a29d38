import mongoose, { Schema, type InferSchemaType, type HydratedDocument } from 'mongoose';

export const tenantStatuses = ['active', 'suspended'] as const;

const fourEyesRule = new Schema(
  { currency: { type: String, required: true }, above: { type: String, required: true } },
  { _id: false },
);

const tenantSchema = new Schema(
  {
    code: {
      type: String,
      required: true,
      unique: true,
      lowercase: true,
      trim: true,
      match: /^[a-z][a-z0-9-]{1,19}$/,
    },
    legalName: { type: String, required: true, trim: true, maxlength: 200 },
    timeZone: { type: String, required: true },
    locale: { type: String, required: true, enum: ['en', 'it', 'da'] },
    /** Business-hours calendar and SLA contract are defined by the SLA engine; referenced here. */
    calendarRef: { type: String, default: null },
    contractRef: { type: String, default: null },
    status: { type: String, required: true, enum: tenantStatuses, default: 'active' },
    /**
     * Four eyes on invoices: an invoice in `currency` whose amount is above `above` (an exact
     * decimal, e.g. '5000.00') needs approval by a second person (server/domain/tickets/four-eyes.ts).
     */
    fourEyes: { type: [fourEyesRule], default: [] },
    /**
     * The client's VAT number, normalised (`IT01234567897`, `DK12345674`: a Danish VAT number is DK
     * + the CVR number), or null when none is on file. E-invoices sent for the client are checked
     * against it (server/domain/einvoices/check-invoice.ts `bpo.buyer`).
     */
    vatNumber: { type: String, default: null, maxlength: 30 },
  },
  { timestamps: true },
);

export type TenantAttrs = InferSchemaType<typeof tenantSchema>;
export type TenantDoc = HydratedDocument<TenantAttrs>;
export const Tenant = mongoose.model('Tenant', tenantSchema);
