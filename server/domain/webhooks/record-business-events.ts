import { Types } from 'mongoose';
import { AccuracyBreach } from '../../../models/accuracy-breach.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { InspectionLot, RecordLayoutModel } from '../../../models/quality.js';
import { Ticket } from '../../../models/ticket.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import type { Ctx } from '../context.js';
import { breachEventOf } from '../quality/record-accuracy-breach.js';
import { domainEvents, type DomainEvents } from '../events.js';
import { linkUrl } from '../settings.js';
import { msgIdOf, unsentState } from './event-types.js';
import { insertFresh, SWEEP_MARGIN_MS, tenantEndpoints } from './record-events.js';

/** The webhook events that come from records other than the timeline (e-invoices, quality lots). */
export type BusinessEventType = 'einvoice.received' | 'quality.lot_decided' | 'quality.accuracy_breached';

/** The key of such an event after its endpoint's id: one per source record, whoever writes it. */
const keyPrefix: Record<BusinessEventType, string> = {
  'einvoice.received': 'einvoice',
  'quality.lot_decided': 'lot',
  'quality.accuracy_breached': 'accuracy-breach',
};

/** The facts of an accuracy breach in its payload. */
const breachFacts = (b: DomainEvents['quality.accuracy_breached']) => ({
  breach: { id: String(b.sourceId), ...b.breach },
  layout: { id: String(b.layout.id), name: b.layout.name },
});

/** The thin JSON body (documented by payload-schemas.ts in the OpenAPI document's `webhooks`). */
export function businessPayloadOf<T extends BusinessEventType>(type: T, e: DomainEvents[T]): string {
  const facts =
    type === 'quality.accuracy_breached'
      ? breachFacts(e as DomainEvents['quality.accuracy_breached'])
      : type === 'einvoice.received'
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
  opts: { now?: Date; endpoints?: Awaited<ReturnType<typeof tenantEndpoints>> } = {},
): Promise<number> {
  const endpoints = (opts.endpoints ?? (await tenantEndpoints(e.tenantId))).filter(
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
  const fresh = await insertFresh(rows, endpoints);
  if (fresh) {
    ctx.log.debug({ tenantId: String(e.tenantId), type, fresh }, 'webhook events written');
    domainEvents.emit('webhook.queued', { count: fresh });
  }
  return fresh;
}

const breached = 'quality.accuracy_breached' as const;
const businessTypes: BusinessEventType[] = [
  'einvoice.received',
  'quality.lot_decided',
  'quality.accuracy_breached',
];
/** Source records one sweep query reads at most per tenant and kind (more wait for the next sweep). */
const SWEEP_LIMIT = 2000;

/**
 * The sweep of these events (never lost): a process killed between an e-invoice's record (or a
 * lot's verdict) and its announcement on the bus left no event. For each tenant with active
 * endpoints subscribed to them, the e-invoice records created and the lots closed since the
 * oldest of those endpoints' cursors (minus SWEEP_MARGIN_MS) are announced again; what was
 * written already is a duplicate key. Runs before the timeline sweep, which moves the cursors.
 */
// Long function: one sweep per tenant and source kind, read then announce, in the order the cursors need.
export async function sweepMissedBusinessEvents(ctx: Ctx, opts: { now?: Date } = {}): Promise<number> {
  const endpoints = await WebhookEndpoint.find({ state: 'active', events: { $in: businessTypes } })
    .setOptions({ allTenants: true })
    .select({ events: 1, createdAt: 1, derivedUntil: 1, tenantId: 1 })
    .lean<Awaited<ReturnType<typeof tenantEndpoints>>>();
  const byTenant = new Map<string, typeof endpoints>();
  for (const ep of endpoints)
    byTenant.set(String(ep.tenantId), [...(byTenant.get(String(ep.tenantId)) ?? []), ep]);
  let written = 0;
  for (const list of byTenant.values()) {
    const tenantId = list[0]!.tenantId;
    const from = new Date(Math.min(...list.map((ep) => ep.derivedUntil.getTime())) - SWEEP_MARGIN_MS);
    const wants = (type: BusinessEventType) => list.some((ep) => ep.events.includes(type));
    const records = wants('einvoice.received')
      ? await EInvoiceRecord.find({ tenantId, createdAt: { $gte: from } })
          .select({ ticketId: 1, format: 1, findings: 1, createdAt: 1 })
          .limit(SWEEP_LIMIT)
          .lean()
      : [];
    const lots = wants('quality.lot_decided')
      ? await InspectionLot.find({ tenantId, closedAt: { $gte: from }, verdict: { $ne: null } })
          .select({
            ticketId: 1,
            layoutId: 1,
            round: 1,
            lotSize: 1,
            indices: 1,
            verdict: 1,
            errorsByClass: 1,
            closedAt: 1,
          })
          .limit(SWEEP_LIMIT)
          .lean()
      : [];
    const breaches = wants('quality.accuracy_breached')
      ? await AccuracyBreach.find({ tenantId, recordedAt: { $gte: from }, ticketId: { $ne: null } })
          .limit(SWEEP_LIMIT)
          .lean()
      : [];
    if (!records.length && !lots.length && !breaches.length) continue;
    const tickets = new Map(
      (
        await Ticket.find({
          tenantId,
          _id: { $in: [...records, ...lots, ...breaches].map((r) => r.ticketId) },
        })
          .select({ number: 1, type: 1, duplicateOf: 1 })
          .lean()
      ).map((t) => [String(t._id), t]),
    );
    const layouts = new Map(
      (
        await RecordLayoutModel.find({ tenantId, _id: { $in: lots.map((l) => l.layoutId) } })
          .select({ name: 1 })
          .lean()
      ).map((l) => [String(l._id), l.name]),
    );
    for (const r of records) {
      const t = tickets.get(String(r.ticketId));
      if (!t) continue;
      const findings = (r.findings ?? []) as Array<{ severity?: string }>;
      const count = (severity: string) => findings.filter((f) => f.severity === severity).length;
      written += await recordBusinessWebhookEvent(
        ctx,
        'einvoice.received',
        {
          tenantId,
          ticket: { _id: t._id, number: t.number, type: t.type },
          sourceId: r.ticketId,
          at: r.createdAt,
          format: r.format,
          findings: { error: count('error'), warning: count('warning'), info: count('info') },
          duplicateOf: t.duplicateOf?.number ?? null,
        },
        { endpoints: list, ...opts },
      );
    }
    for (const l of lots) {
      const t = tickets.get(String(l.ticketId));
      if (!t || !l.closedAt) continue;
      const byClass = (l.errorsByClass ?? {}) as Record<string, { inspected: number; nonconforming: number }>;
      written += await recordBusinessWebhookEvent(
        ctx,
        'quality.lot_decided',
        {
          tenantId,
          ticket: { _id: t._id, number: t.number, type: t.type },
          sourceId: l._id,
          at: l.closedAt,
          layout: { id: l.layoutId, name: layouts.get(String(l.layoutId)) ?? '' },
          round: l.round,
          verdict: l.verdict === 'accepted' ? 'accepted' : 'rejected',
          lotSize: l.lotSize,
          sampleSize: l.indices.length,
          errorsByClass: Object.fromEntries(
            Object.entries(byClass).map(([cls, c]) => [
              cls,
              { inspected: c.inspected, nonconforming: c.nonconforming },
            ]),
          ),
        },
        { endpoints: list, ...opts },
      );
    }
    for (const b of breaches) {
      const t = tickets.get(String(b.ticketId));
      if (!t) continue;
      const event = breachEventOf(b, t);
      written += await recordBusinessWebhookEvent(ctx, breached, event, { endpoints: list, ...opts });
    }
  }
  if (written) ctx.log.warn({ written }, 'e-invoice and quality webhook events written by the sweep');
  return written;
}
