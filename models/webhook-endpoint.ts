import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/** The events a client system can subscribe to (server/domain/webhooks/event-types.ts builds them). */
export const webhookEventTypes = [
  'ticket.created',
  'ticket.status_changed',
  'ticket.reply_added',
  'ticket.assigned',
  'ticket.sla_warning',
  'ticket.sla_breach',
  'csat.received',
  'einvoice.received',
  'quality.lot_decided',
  'quality.accuracy_breached',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

export const webhookEndpointStates = ['active', 'disabled'] as const;

/**
 * A client system's receiver of signed webhooks (Standard Webhooks). The secret signs every
 * request; during a rotation the previous one signs too until `previousSecretUntil`. Health
 * (`consecutiveFailures`, `circuitOpenUntil`, `probeUntil`, `failingSince`) and the delivery lease
 * (`leaseToken`, `leaseUntil`) are written by the delivery worker only; `derivedUntil` is the sweep's cursor over the timeline (events of entries
 * stored before it have been written for this endpoint).
 */
const webhookEndpointSchema = new Schema({
  tenantId: tenantRef(),
  url: { type: String, required: true },
  description: { type: String, default: '' },
  events: { type: [{ type: String, enum: webhookEventTypes }], default: [] },
  secret: { type: String, required: true },
  previousSecret: { type: String, default: null },
  previousSecretUntil: { type: Date, default: null },
  orderedPerTicket: { type: Boolean, default: false },
  state: { type: String, required: true, enum: webhookEndpointStates, default: 'active' },
  /** `gone` (the receiver answered 410), `admin` (turned off by a person), `failing` (5 days of failures). */
  disabledReason: { type: String, default: null },
  disabledAt: { type: Date, default: null },
  failingSince: { type: Date, default: null },
  consecutiveFailures: { type: Number, default: 0 },
  circuitOpenUntil: { type: Date, default: null },
  probeUntil: { type: Date, default: null },
  /**
   * The delivery lease (server/domain/webhooks/deliver.ts): a run takes the endpoint with one
   * conditional update naming the token and time it read (a fresh token each take), sends its due
   * events without claiming each, and gives it back by clearing `leaseUntil` (the token stays, so
   * a take-and-give-back in between fails the next taker's condition). A run that dies leaves its
   * lease to run out; the next run sends again under the same webhook-id.
   */
  leaseToken: { type: String, default: null },
  leaseUntil: { type: Date, default: null },
  derivedUntil: { type: Date, required: true, default: () => new Date() },
  createdAt: { type: Date, required: true, default: () => new Date() },
  updatedAt: { type: Date, required: true, default: () => new Date() },
});
webhookEndpointSchema.plugin(tenantScopePlugin);

export type WebhookEndpointAttrs = InferSchemaType<typeof webhookEndpointSchema>;
export const WebhookEndpoint = mongoose.model('WebhookEndpoint', webhookEndpointSchema);
