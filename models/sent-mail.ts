import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { optionalTenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

export const sentMailStatuses = ['sent', 'failed'] as const;

/**
 * Mail that has left the outbox: sent, or given up after the last attempt (`failed`, with the
 * last error). Rows move here from `OutboxMail` with the same _id as soon as they are done, so
 * the outbox only holds what is still to send and its claim stays cheap on an engine where
 * every query is a scan. Threading of inbound replies looks rows up by Message-ID (unique).
 */
const sentMailSchema = new Schema({
  _id: { type: Schema.Types.ObjectId, required: true },
  tenantId: optionalTenantRef(),
  key: { type: String, required: true },
  to: { type: String, required: true },
  locale: { type: String, required: true, enum: ['en', 'it', 'da'] },
  template: { type: String, required: true },
  params: { type: Schema.Types.Mixed, default: {} },
  headers: { type: Schema.Types.Mixed, default: {} },
  replyTo: { type: String, default: null },
  status: { type: String, required: true, enum: sentMailStatuses },
  attempts: { type: Number, required: true },
  lastError: { type: String, default: null },
  messageId: { type: String, required: true },
  createdAt: { type: Date, required: true },
  sentAt: { type: Date, default: null },
  /** When the row left the outbox. */
  finishedAt: { type: Date, required: true, default: () => new Date() },
});
sentMailSchema.index({ tenantId: 1, messageId: 1 }, { unique: true });
sentMailSchema.plugin(tenantScopePlugin);

export type SentMailAttrs = InferSchemaType<typeof sentMailSchema>;
export const SentMail = mongoose.model('SentMail', sentMailSchema);
