import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';
import { attemptFields } from './webhook-attempt-fields.js';

/**
 * One delivery attempt of a webhook event: what was sent (headers, signatures included), what
 * came back (status, the first 2 KB of the body), how long it took, or why nothing came back.
 */
const webhookAttemptSchema = new Schema({
  tenantId: tenantRef(),
  endpointId: { type: Schema.Types.ObjectId, ref: 'WebhookEndpoint', required: true },
  eventId: { type: Schema.Types.ObjectId, ref: 'WebhookEvent', required: true },
  msgId: { type: String, required: true },
  ...attemptFields,
});
// An endpoint's history, newest first (list-attempts.ts); the purge of old attempts by time.
webhookAttemptSchema.index({ endpointId: 1, _id: -1 });
webhookAttemptSchema.index({ at: 1 });
webhookAttemptSchema.plugin(tenantScopePlugin);

export type WebhookAttemptAttrs = InferSchemaType<typeof webhookAttemptSchema>;
export const WebhookAttempt = mongoose.model('WebhookAttempt', webhookAttemptSchema);
