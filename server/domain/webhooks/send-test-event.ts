import { Types } from 'mongoose';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.js';
import { linkUrl } from '../settings.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { findEndpoint } from './access.js';
import { msgIdOf, unsentState } from './event-types.js';
import { insertFresh } from './record-events.js';

/** The body of a test event (the Standard Webhooks envelope; no ticket). */
export const testEventPayloadSchema = z.strictObject({
  type: z.literal('webhook.test'),
  timestamp: z.iso.datetime(),
  data: z.strictObject({
    tenantId: z.string().regex(/^[0-9a-f]{24}$/),
    endpointId: z.string().regex(/^[0-9a-f]{24}$/),
    test: z.literal(true),
    links: z.strictObject({ endpoint: z.url() }),
  }),
});

/**
 * "Send a test event": one `webhook.test` event for one endpoint, written to the same event table
 * and delivered by the same workers (signature, retries, attempt history) as any other, by the
 * same fast path as the events this process records (fresh-events.ts). Its key
 * holds a fresh id, so every request is a new event with its own `webhook-id`. A disabled
 * endpoint receives nothing: refused (conflict) rather than queued for ever.
 */
export async function sendTestEvent(ctx: Ctx, id: string) {
  const ep = await findEndpoint(ctx, id);
  if (ep.state !== 'active')
    throw new AppError('conflict', 'endpoint disabled', { messageKey: 'webhook_ops.endpoint_disabled' });
  const now = new Date();
  const _id = new Types.ObjectId();
  const key = `${String(ep._id)}:test:${String(_id)}`;
  const msgId = msgIdOf(key);
  const payload = JSON.stringify({
    type: 'webhook.test',
    timestamp: now.toISOString(),
    data: {
      tenantId: String(ep.tenantId),
      endpointId: String(ep._id),
      test: true,
      links: { endpoint: linkUrl(`/api/v1/webhook-endpoints/${String(ep._id)}`) },
    },
  });
  // Written as the recorder writes events (insertFresh): handed to this process's delivery runs
  // at once, without the read of due events (fresh-events.ts), stamped with the endpoint's lease
  // token as read above, before the insert.
  const row = {
    _id,
    tenantId: ep.tenantId,
    endpointId: ep._id,
    key,
    msgId,
    type: 'webhook.test',
    // No ticket: its own id, so per-ticket order never holds it back nor holds anything back.
    ticketId: _id,
    occurredAt: now,
    sourceId: _id,
    payload,
    ...unsentState(now),
  };
  await insertFresh([row], [ep]);
  await recordAudit(ctx, {
    action: 'webhook.test_sent',
    tenantId: String(ep.tenantId),
    targetId: String(ep._id),
    targetLabel: ep.url,
    details: { eventId: String(_id), msgId },
  });
  domainEvents.emit('webhook.queued', { count: 1 });
  return { eventId: String(_id), msgId, status: 'pending' as const };
}
