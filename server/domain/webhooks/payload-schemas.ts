import { z } from 'zod';
import type { WebhookEventType } from '../../../models/webhook-endpoint.js';

/**
 * The JSON bodies of webhook events, as zod schemas: the OpenAPI document's `webhooks` section is
 * generated from them, and the tests check every payload the delivery sends against them.
 */
const ticketRef = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{24}$/),
  number: z.string(),
  type: z.string(),
});
const links = z.strictObject({ ticket: z.url(), api: z.url() });
const common = { tenantId: z.string().regex(/^[0-9a-f]{24}$/), ticket: ticketRef, links };

const envelope = <T extends WebhookEventType, D extends z.ZodRawShape>(type: T, data: D) =>
  z.strictObject({
    type: z.literal(type),
    /** When the change happened. */
    timestamp: z.iso.datetime(),
    data: z.strictObject({ ...common, ...data }),
  });

const slaChange = {
  target: z.enum(['firstResponse', 'resolution']),
  threshold: z.number(),
  dueAt: z.iso.datetime().nullable(),
};

export const webhookPayloadSchemas = {
  'ticket.created': envelope('ticket.created', { channel: z.string().nullable() }),
  'ticket.status_changed': envelope('ticket.status_changed', { from: z.string().nullable(), to: z.string() }),
  'ticket.reply_added': envelope('ticket.reply_added', {
    replyId: z.string(),
    authorKind: z.enum(['client', 'staff', 'system']).nullable(),
  }),
  'ticket.assigned': envelope('ticket.assigned', {
    action: z.enum(['claimed', 'assigned', 'released']),
    to: z.string().nullable(),
    from: z.string().nullable(),
  }),
  'ticket.sla_warning': envelope('ticket.sla_warning', slaChange),
  'ticket.sla_breach': envelope('ticket.sla_breach', slaChange),
  /** A requester rated a resolution (1-5), changed the rating or added a comment (never its text). */
  'csat.received': envelope('csat.received', {
    score: z.number().int().min(1).max(5),
    resolution: z.number().int(),
    hasComment: z.boolean(),
  }),
  /** An invoice of an e-invoice file got its ticket: the file's format, its findings counted by severity, the duplicate's number. */
  'einvoice.received': envelope('einvoice.received', {
    format: z.enum(['fatturapa', 'peppol-bis3', 'oioubl', 'ubl']),
    findings: z.strictObject({
      error: z.number().int().min(0),
      warning: z.number().int().min(0),
      info: z.number().int().min(0),
    }),
    duplicateOf: z.string().nullable(),
  }),
  /** A keying batch's inspection lot was judged (the batch is the ticket): its sample and the nonconforming records per field class. */
  'quality.lot_decided': envelope('quality.lot_decided', {
    lot: z.strictObject({
      id: z.string().regex(/^[0-9a-f]{24}$/),
      round: z.number().int().min(1),
      lotSize: z.number().int().min(0),
      sampleSize: z.number().int().min(0),
    }),
    layout: z.strictObject({ id: z.string().regex(/^[0-9a-f]{24}$/), name: z.string() }),
    verdict: z.enum(['accepted', 'rejected']),
    errorsByClass: z.partialRecord(
      z.enum(['critical', 'major', 'minor']),
      z.strictObject({ inspected: z.number().int().min(0), nonconforming: z.number().int().min(0) }),
    ),
  }),
  /**
   * A layout's accuracy target was breached in a month: the 95 % Wilson interval of the month's
   * field accuracy lies wholly below the target (proportions 0..1). Once per layout and month; the
   * ticket is the batch whose lot showed it.
   */
  'quality.accuracy_breached': envelope('quality.accuracy_breached', {
    breach: z.strictObject({
      id: z.string().regex(/^[0-9a-f]{24}$/),
      period: z.string().regex(/^\d{4}-\d{2}$/),
      target: z.number().min(0).max(1),
      inspected: z.number().int().min(0),
      correct: z.number().int().min(0),
      lower: z.number().min(0).max(1),
      upper: z.number().min(0).max(1),
    }),
    layout: z.strictObject({ id: z.string().regex(/^[0-9a-f]{24}$/), name: z.string() }),
  }),
} satisfies Record<WebhookEventType, z.ZodType>;
