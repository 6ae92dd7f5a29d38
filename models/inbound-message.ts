import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

export const inboundMessageStatuses = ['processing', 'done'] as const;

/**
 * One inbound mail a tenant's intake address has taken in, by its Message-ID. The unique index
 * on (tenantId, messageId) is what makes a second delivery of the same mail a no-op: the first
 * insert claims it, the second fails with a duplicate key. A claim left `processing` by a
 * process that died is taken over after a while (see mail-intake.ts).
 */
const inboundMessageSchema = new Schema({
  tenantId: tenantRef(),
  messageId: { type: String, required: true, maxlength: 1000 },
  status: { type: String, required: true, enum: inboundMessageStatuses, default: 'processing' },
  claimedAt: { type: Date, required: true, default: () => new Date() },
  from: { type: String, default: null },
  outcome: { type: String, default: null },
  ticketId: { type: 'ObjectId', ref: 'Ticket', default: null },
  ticketNumber: { type: String, default: null },
  doneAt: { type: Date, default: null },
});
inboundMessageSchema.index({ tenantId: 1, messageId: 1 }, { unique: true });
inboundMessageSchema.plugin(tenantScopePlugin);

export type InboundMessageAttrs = InferSchemaType<typeof inboundMessageSchema>;
export const InboundMessage = mongoose.model('InboundMessage', inboundMessageSchema);
