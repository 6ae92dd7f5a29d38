import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/**
 * One SLA event of a ticket: a warning at a threshold or the breach of a target. The unique
 * index on (ticketId, target, kind, threshold) records each exactly once, however many sweeps
 * or workers see it come due.
 */
const slaEventSchema = new Schema({
  tenantId: tenantRef(),
  ticketId: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
  number: { type: String, required: true },
  target: { type: String, required: true, enum: ['firstResponse', 'resolution'] },
  kind: { type: String, required: true, enum: ['warning', 'breach'] },
  threshold: { type: Number, required: true },
  /** When it was due, and when the sweep recorded it (lateness = recordedAt - dueAt). */
  dueAt: { type: Date, required: true },
  recordedAt: { type: Date, required: true, default: () => new Date() },
  recordedBy: { type: String, default: null },
});
slaEventSchema.index({ ticketId: 1, target: 1, kind: 1, threshold: 1 }, { unique: true });
slaEventSchema.plugin(tenantScopePlugin);

export type SlaEventAttrs = InferSchemaType<typeof slaEventSchema>;
export const SlaEvent = mongoose.model('SlaEvent', slaEventSchema);
