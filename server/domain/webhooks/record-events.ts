import { Types } from 'mongoose';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { crossTenant, scopedCollection } from '../../db/scoped-collection.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { ReadCache } from '../read-cache.js';
import { handOver, stampsBefore, type FreshEvent } from './fresh-events.js';
import { completePendingEntries } from '../tickets/pending-entries.js';
import {
  eventsOf,
  msgIdOf,
  unsentState,
  payloadOf,
  sourceKinds,
  type SourceEntry,
  type TicketFacts,
} from './event-types.js';

/**
 * Webhook events are written once and never lost. The durable source of a ticket change is the
 * timeline entry stored with it; an event row is keyed `<endpointId>:<entry key>` (unique), so:
 *
 * - the fast path (a listener on the bus, jobs/webhooks.ts) writes the events of an entry right
 *   after it is stored;
 * - the sweep (`sweepMissedWebhookEvents`, recurring and at every start) re-reads the entries
 *   stored since each endpoint's cursor (minus a margin for writes in flight) and writes what is
 *   missing: a process killed between a change and its events, or a bus nobody listened to.
 *
 * Both insert with one unordered insert and ignore duplicate keys; neither reads first.
 */

/** Entries whose _id is older than the cursor by less than this are read again by the sweep. */
export const SWEEP_MARGIN_MS = 5 * 60_000;
/** Timeline entries one sweep query reads at a time. */
const SWEEP_PAGE = 500;

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

const events = scopedCollection(WebhookEvent);
const allEndpoints = crossTenant(
  WebhookEndpoint,
  'the webhook sweep advances the cursor of every tenant’s endpoints, by _id',
);

type EndpointRow = {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  events: string[];
  createdAt: Date;
  derivedUntil: Date;
  /** The endpoint's lease token as read (the stamp of events handed to delivery: fresh-events.ts). */
  leaseToken?: string | null;
};

/**
 * A tenant's active endpoints, for the fast path (every timeline entry asks; most tenants have
 * none). Forgotten at once on the node that changes an endpoint; other nodes see a change within
 * the TTL, and the sweep writes whatever that delay missed.
 */
const activeEndpoints = new ReadCache<EndpointRow[]>(5_000);

export function forgetWebhookEndpoints(tenantId?: string): void {
  activeEndpoints.forget(tenantId);
}

/** A tenant's active endpoints, from the fast path's cache. */
export function tenantEndpoints(tenantId: Types.ObjectId): Promise<EndpointRow[]> {
  return activeEndpoints.get(String(tenantId), () =>
    WebhookEndpoint.find({ tenantId, state: 'active' })
      .select({ events: 1, createdAt: 1, derivedUntil: 1, tenantId: 1, leaseToken: 1 })
      .lean<EndpointRow[]>()
      .exec(),
  );
}

/**
 * Insert rows, ignoring the ones already there; returns how many are new. The new ones go to
 * this process's delivery runs at once (fresh-events.ts), stamped with their endpoint's lease
 * token as known before the insert (`endpoints`: the rows' endpoints as read).
 */
export async function insertFresh(
  rows: FreshEvent[],
  endpoints: Array<{ _id: Types.ObjectId; leaseToken?: string | null }>,
): Promise<number> {
  if (!rows.length) return 0;
  const stamps = stampsBefore(endpoints);
  try {
    await events.insertMany(rows, { ordered: false });
    handOver(rows, stamps);
    return rows.length;
  } catch (err) {
    const raw = (err as { writeErrors?: unknown } | null)?.writeErrors;
    const errors = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Array<{ code?: number; index?: number }>;
    if (isDuplicateKey(err) && !errors.length) return 0;
    if (!errors.length || errors.some((e) => e.code !== 11000)) throw err;
    const refused = new Set(errors.map((e) => e.index));
    handOver(
      rows.filter((_, i) => !refused.has(i)),
      stamps,
    );
    return rows.length - errors.length;
  }
}

async function ticketFacts(
  tenantId: Types.ObjectId,
  ids: Types.ObjectId[],
  known: Map<string, TicketFacts>,
): Promise<Map<string, TicketFacts>> {
  const missing = [...new Set(ids.map(String))].filter((id) => !known.has(id));
  if (!missing.length) return known;
  const rows = await Ticket.find({ tenantId, _id: { $in: missing.map((id) => new Types.ObjectId(id)) } })
    .select({ number: 1, type: 1 })
    .lean<Array<{ _id: Types.ObjectId; number: string; type: string }>>();
  const facts = new Map(known);
  for (const r of rows) facts.set(String(r._id), { number: r.number, type: r.type });
  return facts;
}

/**
 * Whether an entry was stored after the endpoint was registered: its time (to the millisecond),
 * or for an entry dated earlier than it was stored (an SLA event recorded late) its _id's second.
 */
const storedSince = (entry: SourceEntry, since: Date): boolean =>
  entry.at.getTime() >= since.getTime() ||
  entry._id.getTimestamp().getTime() >= Math.floor(since.getTime() / 1000) * 1000 + 1000;

/**
 * Write the events of these timeline entries (one tenant's) for that tenant's active endpoints
 * subscribed to them. Entries stored before an endpoint existed are not its events. Returns how
 * many rows were new; announces them so delivery starts at once.
 */
export async function recordWebhookEvents(
  ctx: Ctx,
  tenantId: Types.ObjectId,
  entries: SourceEntry[],
  opts: { tickets?: Map<string, TicketFacts>; endpoints?: EndpointRow[]; now?: Date } = {},
): Promise<number> {
  const typed = entries.flatMap((entry) => eventsOf(entry).map((e) => ({ entry, ...e })));
  if (!typed.length) return 0;
  const endpoints = opts.endpoints ?? (await tenantEndpoints(tenantId));
  const wanted = endpoints.flatMap((ep) =>
    typed
      .filter(({ entry, type }) => ep.events.includes(type) && storedSince(entry, ep.createdAt))
      .map((t) => ({ ...t, ep })),
  );
  if (!wanted.length) return 0;
  const tickets = await ticketFacts(
    tenantId,
    wanted.map((w) => w.entry.ticketId),
    opts.tickets ?? new Map(),
  );
  const now = opts.now ?? new Date();
  const rows = wanted.flatMap(({ entry, type, suffix, ep }) => {
    const facts = tickets.get(String(entry.ticketId));
    if (!facts) return []; // a ticket that is gone (test data dropped): nothing to announce
    const key = `${String(ep._id)}:${entry.key}${suffix}`;
    return [
      {
        _id: new Types.ObjectId(),
        tenantId,
        endpointId: ep._id,
        key,
        msgId: msgIdOf(key),
        type,
        ticketId: entry.ticketId,
        occurredAt: entry.at,
        sourceId: entry._id,
        payload: payloadOf(type, entry, facts),
        ...unsentState(now),
      },
    ];
  });
  const fresh = await insertFresh(rows, endpoints);
  if (fresh) {
    ctx.log.debug({ tenantId: String(tenantId), fresh }, 'webhook events written');
    domainEvents.emit('webhook.queued', { count: fresh });
  }
  return fresh;
}

/**
 * The fast path of SLA events: the SLA sweep stores its timeline entries in bulk and announces
 * the ticket; its latest SLA entries are read back (the ones already written are duplicates).
 */
export async function recordSlaWebhookEvents(ctx: Ctx, tenantId: string, ticketId: string): Promise<number> {
  const tenant = new Types.ObjectId(tenantId);
  const entries = await TimelineEntry.find({
    tenantId: tenant,
    ticketId: new Types.ObjectId(ticketId),
    kind: 'sla',
  })
    .sort({ _id: -1 })
    .limit(20)
    .lean<SourceEntry[]>();
  return recordWebhookEvents(ctx, tenant, entries);
}

/**
 * Write every event the fast path missed: first the timeline entries a crash left carried by an
 * update (status changes, assignments and satisfaction ratings: `completePendingEntries`); then
 * for each tenant
 * with active endpoints, the timeline entries stored since the oldest of their cursors (minus
 * SWEEP_MARGIN_MS), page by page; then the cursors move to the start of this sweep. Returns how
 * many events were written.
 */
export async function sweepMissedWebhookEvents(ctx: Ctx, opts: { now?: Date } = {}): Promise<number> {
  await completePendingEntries(ctx, opts);
  const start = opts.now ?? new Date();
  const endpoints = await WebhookEndpoint.find({ state: 'active' })
    .setOptions({ allTenants: true })
    .select({ events: 1, createdAt: 1, derivedUntil: 1, tenantId: 1, leaseToken: 1 })
    .lean<EndpointRow[]>();
  const byTenant = new Map<string, EndpointRow[]>();
  for (const ep of endpoints)
    byTenant.set(String(ep.tenantId), [...(byTenant.get(String(ep.tenantId)) ?? []), ep]);
  let written = 0;
  for (const list of byTenant.values()) {
    const tenantId = (list[0] as EndpointRow).tenantId;
    const from = Math.min(...list.map((ep) => ep.derivedUntil.getTime())) - SWEEP_MARGIN_MS;
    let after: Types.ObjectId = Types.ObjectId.createFromTime(Math.max(0, Math.floor(from / 1000)));
    let tickets = new Map<string, TicketFacts>();
    for (;;) {
      const page = await TimelineEntry.find({
        tenantId,
        _id: { $gt: after },
        kind: { $in: sourceKinds },
      })
        .select({ key: 1, tenantId: 1, ticketId: 1, at: 1, kind: 1, visibility: 1, author: 1, data: 1 })
        .sort({ _id: 1 })
        .limit(SWEEP_PAGE)
        .lean<SourceEntry[]>();
      if (!page.length) break;
      tickets = await ticketFacts(
        tenantId,
        page.map((e) => e.ticketId),
        tickets,
      );
      written += await recordWebhookEvents(ctx, tenantId, page, { tickets, endpoints: list, now: start });
      after = (page[page.length - 1] as SourceEntry)._id;
      if (page.length < SWEEP_PAGE) break;
    }
    await allEndpoints.updateMany(
      { _id: { $in: list.map((ep) => ep._id) }, derivedUntil: { $lt: start } },
      { $set: { derivedUntil: start } },
    );
  }
  if (written) ctx.log.warn({ written }, 'webhook events written by the sweep (missed by the fast path)');
  return written;
}
