import mongoose, { Schema, type InferSchemaType, type HydratedDocument } from 'mongoose';

export const tenantStatuses = ['active', 'suspended'] as const;

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
  },
  { timestamps: true },
);

export type TenantAttrs = InferSchemaType<typeof tenantSchema>;
export type TenantDoc = HydratedDocument<TenantAttrs>;
export const Tenant = mongoose.model('Tenant', tenantSchema);
