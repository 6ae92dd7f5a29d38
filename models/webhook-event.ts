import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';
import { webhookEventTypes } from './webhook-endpoint.js';
import { attemptFields } from './webhook-attempt-fields.js';

export const webhookEventStatuses = ['pending', 'delivering', 'delivered', 'failed'] as const;

/**
 * One event for one endpoint, written once: `key` is `<endpointId>:<timeline entry key>`, unique,
 * so the fast path and the sweep that re-derives events from the timeline never write it twice.
 * `msgId` (the `webhook-id` header) is derived from the key and is the same on every attempt.
 * The row is also the delivery's state: due (`pending` from `nextAttemptAt`), sent under its
 * endpoint's lease (WebhookEndpoint.leaseToken: no write per event before the attempt), then one
 * write by _id: finished as `delivered` (with its delivering attempt, `okAttempt`) or `failed`, or
 * rescheduled. `delivering` with `leaseUntil` and
 * `claimedBy` are the per-event claims of before (a row left so is sent once its lease runs out).
 */
const webhookEventSchema = new Schema({
  tenantId: tenantRef(),
  endpointId: { type: Schema.Types.ObjectId, ref: 'WebhookEndpoint', required: true },
  key: { type: String, required: true, unique: true },
  msgId: { type: String, required: true },
  /** A subscribed event type, or `webhook.test` (sent on request to one endpoint, send-test-event.ts). */
  type: { type: String, required: true, enum: [...webhookEventTypes, 'webhook.test'] },
  /** The ticket (a test event has no ticket: its own _id, so it waits for no ticket's order). */
  ticketId: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
  /** When the change happened (the timeline entry's time): the order of a ticket's events. */
  occurredAt: { type: Date, required: true },
  sourceId: { type: Schema.Types.ObjectId, required: true },
  /** The JSON body, fixed when the event is written: every attempt sends the same bytes. */
  payload: { type: String, required: true },
  status: { type: String, required: true, enum: webhookEventStatuses, default: 'pending' },
  attempts: { type: Number, required: true, default: 0 },
  nextAttemptAt: { type: Date, required: true },
  leaseUntil: { type: Date, default: null },
  claimedBy: { type: String, default: null },
  lastStatus: { type: Number, default: null },
  lastError: { type: String, default: null },
  createdAt: { type: Date, required: true },
  deliveredAt: { type: Date, default: null },
  /**
   * The attempt that delivered the event (what a WebhookAttempt row holds, in the same write as
   * the delivered mark: one write per delivered event). Every other attempt is a WebhookAttempt
   * row; the history (list-attempts.ts) reads both. A replay moves it to a row first.
   */
  okAttempt: {
    type: new Schema(attemptFields, { _id: true }),
    default: undefined,
  },
});
// The claim's read on MongoDB (the embedded engine scans: see engine notes).
webhookEventSchema.index({ endpointId: 1, status: 1, nextAttemptAt: 1 });
// No unique index on `{ _id, status, claimedBy }` any more (the per-event claims of before): the
// worker writes each outcome by _id under its endpoint's lease, and on the embedded engine that
// index cost more per write than the write itself (bench:webhooks, server/domain/webhooks/deliver.ts).
// An endpoint's history, newest first: the delivering attempts kept on their events (list-attempts.ts).
webhookEventSchema.index({ endpointId: 1, 'okAttempt._id': -1 });
webhookEventSchema.plugin(tenantScopePlugin);

export type WebhookEventAttrs = InferSchemaType<typeof webhookEventSchema>;
export const WebhookEvent = mongoose.model('WebhookEvent', webhookEventSchema);
