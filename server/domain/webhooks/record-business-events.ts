import { Types } from 'mongoose';
import type { Ctx } from '../context.js';
import { domainEvents, type DomainEvents } from '../events.js';
import { linkUrl } from '../settings.js';
import { msgIdOf, unsentState } from './event-types.js';
import { insertFresh, tenantEndpoints } from './record-events.js';

/** The webhook events that come from records other than the timeline (e-invoices, quality lots). */
export type BusinessEventType = 'einvoice.received' | 'quality.lot_decided';

/** The key of such an event after its endpoint's id: one per source record, whoever writes it. */
const keyPrefix: Record<BusinessEventType, string> = {
  'einvoice.received': 'einvoice',
  'quality.lot_decided': 'lot',
};

/** The thin JSON body (documented by payload-schemas.ts in the OpenAPI document's `webhooks`). */
export function businessPayloadOf<T extends BusinessEventType>(type: T, e: DomainEvents[T]): string {
  const facts =
    type === 'einvoice.received'
      ? (() => {
          const r = e as DomainEvents['einvoice.received'];
          return { format: r.format, findings: r.findings, duplicateOf: r.duplicateOf };
        })()
      : (() => {
          const l = e as DomainEvents['quality.lot_decided'];
          return {
            lot: {
              id: String(l.sourceId),
              round: l.round,
              lotSize: l.lotSize,
              sampleSize: l.sampleSize,
            },
            layout: { id: String(l.layout.id), name: l.layout.name },
            verdict: l.verdict,
            errorsByClass: l.errorsByClass,
          };
        })();
  return JSON.stringify({
    type,
    timestamp: e.at.toISOString(),
    data: {
      tenantId: String(e.tenantId),
      ticket: { id: String(e.ticket._id), number: e.ticket.number, type: e.ticket.type },
      ...facts,
      links: {
        ticket: linkUrl(`/tickets/${e.ticket.number}`),
        api: linkUrl(`/api/v1/tickets/${e.ticket.number}`),
      },
    },
  });
}

/**
 * Write the webhook event of an e-invoice received or a lot decided for the tenant's active
 * endpoints subscribed to it (registered before it happened), keyed `<endpoint>:<kind>:<source
 * record>` (unique: announcing the same record again, as a re-sending of the same file does,
 * writes nothing). Returns how many rows were new, announced so delivery starts at once.
 */
export async function recordBusinessWebhookEvent<T extends BusinessEventType>(
  ctx: Ctx,
  type: T,
  e: DomainEvents[T],
  opts: { now?: Date } = {},
): Promise<number> {
  const endpoints = (await tenantEndpoints(e.tenantId)).filter(
    (ep) => ep.events.includes(type) && ep.createdAt.getTime() <= e.at.getTime(),
  );
  if (!endpoints.length) return 0;
  const now = opts.now ?? new Date();
  const payload = businessPayloadOf(type, e);
  const rows = endpoints.map((ep) => {
    const key = `${String(ep._id)}:${keyPrefix[type]}:${String(e.sourceId)}`;
    return {
      _id: new Types.ObjectId(),
      tenantId: e.tenantId,
      endpointId: ep._id,
      key,
      msgId: msgIdOf(key),
      type,
      ticketId: e.ticket._id,
      occurredAt: e.at,
      sourceId: e.sourceId,
      payload,
      ...unsentState(now),
    };
  });
  const fresh = await insertFresh(rows);
  if (fresh) {
    ctx.log.debug({ tenantId: String(e.tenantId), type, fresh }, 'webhook events written');
    domainEvents.emit('webhook.queued', { count: fresh });
  }
  return fresh;
}
