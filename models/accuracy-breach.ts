import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/**
 * A breach of the accuracy target of one client's layout in one calendar month (the client's
 * time zone): field accuracy whose 95 % Wilson interval lies wholly below the target
 * (server/domain/quality/record-accuracy-breach.ts). The unique index on (tenant, layout, month)
 * records it exactly once, however many lots of the month are closed after it is seen.
 */
const accuracyBreachSchema = new Schema({
  tenantId: tenantRef(),
  layoutId: { type: Schema.Types.ObjectId, ref: 'RecordLayout', required: true },
  layoutName: { type: String, required: true },
  /** The month, '2026-05', its first instant and the next month's, in the client's time zone. */
  period: { type: String, required: true },
  periodStart: { type: Date, required: true },
  periodEnd: { type: Date, required: true },
  target: { type: Number, required: true },
  inspected: { type: Number, required: true },
  correct: { type: Number, required: true },
  lower: { type: Number, required: true },
  upper: { type: Number, required: true },
  recordedAt: { type: Date, required: true, default: () => new Date() },
  /** The lot whose closing recorded it, and that lot's ticket (null on rows written before they were kept). */
  lotId: { type: Schema.Types.ObjectId, default: null },
  ticketId: { type: Schema.Types.ObjectId, default: null },
});
accuracyBreachSchema.index({ tenantId: 1, layoutId: 1, period: 1 }, { unique: true });
accuracyBreachSchema.plugin(tenantScopePlugin);

export type AccuracyBreachAttrs = InferSchemaType<typeof accuracyBreachSchema>;
export const AccuracyBreach = mongoose.model('AccuracyBreach', accuracyBreachSchema);
