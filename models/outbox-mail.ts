import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { optionalTenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/** `stuck`: finished but not removable (seen with an index damaged by a crash): set aside, never claimed. */
export const outboxStatuses = ['pending', 'sending', 'sent', 'failed', 'stuck'] as const;

/**
 * The persistent outbox: mail still to send. `key` names the event a mail is about (e.g.
 * `ticket:<id>:created`); the same event never queues two mails (a unique `MailKey` row per key,
 * and a unique key here). Delivery claims rows with conditional updates, so two workers never
 * send the same row; a row that is done (`sent`, or `failed` after the last attempt) moves to
 * `SentMail` right away, so this collection stays small and the claim's scan stays cheap.
 */
const outboxMailSchema = new Schema({
  tenantId: optionalTenantRef(),
  key: { type: String, required: true, unique: true },
  to: { type: String, required: true },
  locale: { type: String, required: true, enum: ['en', 'it', 'da'] },
  template: { type: String, required: true },
  params: { type: Schema.Types.Mixed, default: {} },
  headers: { type: Schema.Types.Mixed, default: {} },
  replyTo: { type: String, default: null },
  status: { type: String, required: true, enum: outboxStatuses, default: 'pending' },
  attempts: { type: Number, required: true, default: 0 },
  nextAttemptAt: { type: Date, required: true, default: () => new Date() },
  lockedUntil: { type: Date, default: null },
  lastError: { type: String, default: null },
  /** The delivery run that claimed the row (status `sending`). */
  claimedBy: { type: String, default: null },
  messageId: { type: String, required: true },
  createdAt: { type: Date, required: true, default: () => new Date() },
  sentAt: { type: Date, default: null },
});
outboxMailSchema.plugin(tenantScopePlugin);

export type OutboxMailAttrs = InferSchemaType<typeof outboxMailSchema>;
export const OutboxMail = mongoose.model('OutboxMail', outboxMailSchema);
