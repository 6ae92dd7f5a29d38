import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { Types } from 'mongoose';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { coalescedInsert } from '../../db/coalesced-insert.js';
import { GroupCommit } from '../../db/group-commit.js';
import { crossTenant, scopedCollection } from '../../db/scoped-collection.js';
import type { Ctx } from '../context.js';
import { forgetFresh, freshFor, noteLeaseToken, settleTaken, type FreshEvent } from './fresh-events.js';
import { agentFor, refusedTarget } from './safe-target.js';
import { signatureOf } from './sign.js';
import { webhookSettings } from './settings.js';

/**
 * Delivery of webhook events, at least once, by any number of workers (agenda's recurring job
 * and the in-process wake-up, jobs/webhooks.ts):
 *
 * - a run takes the endpoints that have due events with a lease on the endpoint row (one
 *   conditional update per endpoint, all in one command: `leaseToken`, `leaseUntil`), then sends
 *   their due events, read after the endpoint rows, without claiming each: two runs never send an
 *   endpoint's events at once, and the lease of a run that dies runs out, then another run sends
 *   again what was not marked (same `webhook-id`: the receiver de-duplicates);
 * - events this process wrote are handed straight to the run that takes their endpoint, without
 *   the read of due events (fresh-events.ts: why none is sent twice); the read stays for retries,
 *   other processes' events and crash recovery, whenever nothing is handed over and every 5 s;
 * - each attempt is recorded and the event finished or put back on the retry schedule of the
 *   Standard Webhooks spec with jitter, later if the receiver said `Retry-After`: one write per
 *   event, the attempt's summary in it, batched; the attempt that delivers an event is in that
 *   same write (`okAttempt`: one write per delivered event), every other one a `WebhookAttempt`
 *   row (one insert per batch); the history reads both (list-attempts.ts);
 * - 410 Gone disables the endpoint; 429, 5xx, timeouts and refused connections count towards the
 *   endpoint's circuit breaker: after `breakerThreshold` in a row without a success its events
 *   wait (no attempt spent) until the breaker lets one probe through (half-open);
 * - other answers (a 4xx for one payload) only retry that event: one bad payload never blocks
 *   the others, unless the endpoint asked for per-ticket order: then only that ticket's later
 *   events wait for it (a given-up event no longer blocks);
 * - a run takes at most `perEndpointPerRun` events of one endpoint, so a backlog at one endpoint
 *   never delays another's.
 */

/** Delay before attempt n+1 (n = index): immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const retrySchedule = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
] as const;

export const deliveryPolicy = {
  /** A taken endpoint belongs to its run this long (well beyond the request timeout). */
  leaseMs: 60_000,
  /** The read of due events (a scan on the engine) at least this often while written events are handed over. */
  scanEveryMs: 5_000,
  /** A run that found every endpoint taken by this process's runs reads them again after this long at most. */
  idleReadMs: 1_000,
  /** Due events one run sends per lease at most (the read of due events scans on the engine: fewer, larger reads). */
  claimBatch: 1000,
  perEndpointPerRun: 25,
  concurrency: 16,
  /** Outcomes are written only while the lease has at least this long to run (else dropped: sent again). */
  writeMarginMs: 10_000,
  /** Share of a retry delay added or removed at random. */
  jitter: 0.1,
  breakerThreshold: 5,
  breakerBaseMs: 30_000,
  breakerMaxMs: 30 * 60_000,
  maxRetryAfterMs: 24 * 3_600_000,
  excerptBytes: 2048,
} as const;

export interface DeliverOptions {
  /** The clock (tests move it); every time written and the signed timestamp come from it. */
  now?: () => Date;
  random?: () => number;
  /** Events one call delivers at most. */
  limit?: number;
  /** Due events one claim reads at once, all endpoints together (default 2 x claimBatch). */
  scan?: number;
  /** Outcomes are written only while the lease has this long to run (default deliveryPolicy.writeMarginMs). */
  writeMarginMs?: number;
}

export interface DeliverResult {
  delivered: number;
  retried: number;
  failed: number;
}

const events = crossTenant(
  WebhookEvent,
  'the webhook worker delivers every tenant’s events, each by its unique key as read, under its endpoint’s lease',
);
const endpointsDoor = crossTenant(
  WebhookEndpoint,
  'the webhook worker records each endpoint’s health by its unique _id',
);
const attempts = scopedCollection(WebhookAttempt);
/** Attempts of concurrent deliveries go in one insert (group commit), each acknowledged for itself. */
const insertAttempt = coalescedInsert(() => attempts);
/**
 * The outcome of an attempt, one write per event: delivered, rescheduled or given up, with the
 * attempt count and the last answer. Concurrent outcomes go as one command (group commit), each
 * event by its _id alone (the engine answers it from the _id index; a condition on its status
 * would need a unique index naming it, which costs the engine more per write than the write
 * itself: bench:webhooks). No condition is needed while the run holds the endpoint's lease: no
 * other run sends or writes its events, so a run submits outcomes only until shortly before its
 * lease runs out (`writeMarginMs`); a later outcome is dropped and the event, still due, is sent
 * again by the next holder under the same webhook-id.
 */
const finishEvent = new GroupCommit<{ _id: Types.ObjectId; set: Record<string, unknown> }, void>(
  async (items) => {
    await events.updateEach(items.map((i) => ({ filter: { _id: i._id }, update: { $set: i.set } })));
    return items.map(() => ({ ok: true as const, value: undefined }));
  },
);

type EndpointRow = {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  url: string;
  secret: string;
  previousSecret?: string | null;
  previousSecretUntil?: Date | null;
  orderedPerTicket: boolean;
  consecutiveFailures: number;
  failingSince?: Date | null;
  circuitOpenUntil?: Date | null;
  probeUntil?: Date | null;
  leaseToken?: string | null;
  leaseUntil?: Date | null;
};

/** A due event as read, or as written by this process (fresh-events.ts). */
type Candidate = FreshEvent & { leaseUntil?: Date | null; claimedBy?: string | null };

type Claimed = Candidate;

const due = (t: Date): Array<Record<string, unknown>> => [
  { status: 'pending', nextAttemptAt: { $lte: t } },
  { status: 'delivering', leaseUntil: { $lt: t } },
];

const before = (a: Candidate, b: Candidate): boolean =>
  a.occurredAt.getTime() < b.occurredAt.getTime() ||
  (a.occurredAt.getTime() === b.occurredAt.getTime() && String(a.sourceId) < String(b.sourceId));

/** Seconds or an HTTP date, as milliseconds from `now`; null when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: Date): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/** When the next attempt goes after `attemptsDone` failed attempts; null: give up. */
export function nextAttemptAt(
  attemptsDone: number,
  now: Date,
  random: () => number,
  retryAfter: number | null,
): Date | null {
  if (attemptsDone >= retrySchedule.length) return null;
  const base = retrySchedule[attemptsDone] as number;
  const jittered = base * (1 + deliveryPolicy.jitter * (2 * random() - 1));
  const wait = Math.max(jittered, Math.min(retryAfter ?? 0, deliveryPolicy.maxRetryAfterMs));
  return new Date(now.getTime() + Math.round(wait));
}

interface Answer {
  status: number | null;
  excerpt: string;
  retryAfter?: string;
  error: string | null;
}

/** One POST, no redirects followed, the first 2 KB of the answer kept, bounded in time. */
function post(url: URL, headers: Record<string, string>, body: string): Promise<Answer> {
  const { timeoutMs } = webhookSettings();
  return new Promise((resolve) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const chunks: Buffer[] = [];
    let kept = 0;
    let done = false;
    const finish = (a: Answer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(a);
    };
    const req = send(url, { method: 'POST', agent: agentFor(url), headers }, (res) => {
      res.on('data', (chunk: Buffer) => {
        if (kept < deliveryPolicy.excerptBytes) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      const answer = (error: string | null): Answer => ({
        status: res.statusCode ?? null,
        excerpt: Buffer.concat(chunks).subarray(0, deliveryPolicy.excerptBytes).toString('utf8'),
        retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined,
        error,
      });
      res.on('end', () => finish(answer(null)));
      res.on('error', (err) => finish(answer(err.message)));
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => finish({ status: null, excerpt: '', error: err.message }));
    req.end(body);
  });
}

async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Endpoints a run of this process holds, until when (performance.now() time). */
const heldHere = new Map<string, number>();
/** The last read of endpoint rows: when (performance.now() time), and each one's open circuit (epoch ms). */
let lastRead: { at: number; openUntil: Map<string, number> } | null = null;

/**
 * Nothing to take, known without a read: a moment ago every active endpoint was held by a run of
 * this process or had its circuit open, and one still is held (the other run of a node, finding
 * all taken, reads the endpoints at most once per `idleReadMs` instead of at every turn; the run
 * holding them reads at its next claim).
 */
function allTakenHere(t: Date): boolean {
  const now = performance.now();
  if (!lastRead || now - lastRead.at > deliveryPolicy.idleReadMs) return false;
  let held = false;
  for (const [id, open] of lastRead.openUntil) {
    const mine = (heldHere.get(id) ?? 0) > now;
    if (!mine && open <= t.getTime()) return false;
    held ||= mine;
  }
  return held;
}

/**
 * Endpoints that may be sent to now: not held by another run's lease, circuit closed; half-open
 * ones (breaker expired) get one probe each.
 */
async function usableEndpoints(t: Date): Promise<EndpointsRead> {
  const rows = await WebhookEndpoint.find({ state: 'active' })
    .setOptions({ allTenants: true })
    .select({ derivedUntil: 0, events: 0 })
    .lean<EndpointRow[]>();
  const usable = new Map<string, EndpointRow>();
  const halfOpen = new Set<string>();
  const tokens = new Map<string, string | null>();
  lastRead = { at: performance.now(), openUntil: new Map() };
  for (const ep of rows) {
    lastRead.openUntil.set(String(ep._id), ep.circuitOpenUntil?.getTime() ?? 0);
    if (ep.orderedPerTicket) forgetFresh(String(ep._id));
    tokens.set(String(ep._id), ep.leaseToken ?? null);
    noteLeaseToken(String(ep._id), ep.leaseToken);
    if (ep.leaseUntil && ep.leaseUntil > t) continue; // another run holds it
    if (ep.circuitOpenUntil && ep.circuitOpenUntil > t) continue;
    if (ep.circuitOpenUntil) {
      if (ep.probeUntil && ep.probeUntil > t) continue; // someone is probing it
      halfOpen.add(String(ep._id));
    }
    usable.set(String(ep._id), ep);
  }
  return { usable, halfOpen, tokens };
}

/** Candidates that per-ticket order lets go: no earlier unfinished event of the same ticket. */
async function inOrder(candidates: Candidate[], ordered: Set<string>): Promise<Candidate[]> {
  const strict = candidates.filter((c) => ordered.has(String(c.endpointId)));
  if (!strict.length) return candidates;
  const open = await WebhookEvent.find({
    endpointId: {
      $in: [...new Set(strict.map((c) => String(c.endpointId)))].map((id) => new Types.ObjectId(id)),
    },
    ticketId: {
      $in: [...new Set(strict.map((c) => String(c.ticketId)))].map((id) => new Types.ObjectId(id)),
    },
    status: { $in: ['pending', 'delivering'] },
  })
    .setOptions({ allTenants: true })
    .select({ endpointId: 1, ticketId: 1, occurredAt: 1, sourceId: 1 })
    .lean<Candidate[]>();
  const group = (c: Candidate): string => `${String(c.endpointId)}:${String(c.ticketId)}`;
  const first = new Map<string, Candidate>();
  for (const c of open) {
    const g = group(c);
    const seen = first.get(g);
    if (!seen || before(c, seen)) first.set(g, c);
  }
  return candidates.filter(
    (c) => !ordered.has(String(c.endpointId)) || String(first.get(group(c))?._id) === String(c._id),
  );
}

/** What one claim gives a run: its events (payloads included), the endpoints, the leases it holds. */
interface Taken {
  claimed: Claimed[];
  endpoints: Map<string, EndpointRow>;
  /** Endpoints this run holds under `token` (given back when it is done with them). */
  held: Types.ObjectId[];
  token: string;
}

/**
 * Lease the endpoints that have due events, each only if its row is still as read (token and
 * lease time, read before the due events: an endpoint another run took and gave back in between
 * fails the condition, so no event it finished meanwhile is read here as still due). One command
 * for all; returns the ids taken.
 */
async function leaseEndpoints(rows: EndpointRow[], token: string, until: Date): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const took = await endpointsDoor.updateEach(
    rows.map((ep) => ({
      filter: { _id: ep._id, leaseToken: ep.leaseToken ?? null, leaseUntil: ep.leaseUntil ?? null },
      update: { $set: { leaseToken: token, leaseUntil: until } },
    })),
  );
  if (took.modifiedCount === rows.length) return new Set(rows.map((ep) => String(ep._id)));
  const mine = await WebhookEndpoint.find({ _id: { $in: rows.map((ep) => ep._id) }, leaseToken: token })
    .setOptions({ allTenants: true })
    .select({ _id: 1 })
    .lean<Array<{ _id: Types.ObjectId }>>();
  return new Set(mine.map((ep) => String(ep._id)));
}

/** Give leased endpoints back (one command): their due events are anyone's again. */
async function releaseEndpoints(token: string, ids: Types.ObjectId[]): Promise<void> {
  if (!ids.length) return;
  for (const id of ids) heldHere.delete(String(id));
  await endpointsDoor.updateEach(
    ids.map((_id) => ({ filter: { _id, leaseToken: token }, update: { $set: { leaseUntil: null } } })),
  );
}

/** The endpoint rows as one claim read them (before any event), with what may be sent now. */
interface EndpointsRead {
  usable: Map<string, EndpointRow>;
  halfOpen: Set<string>;
  /** Every active endpoint's lease token as read. */
  tokens: Map<string, string | null>;
}

/** Due events of the usable endpoints, oldest first (a scan on the embedded engine). */
async function readDue(t: Date, usable: Map<string, EndpointRow>, scan: number): Promise<Candidate[]> {
  const dueOf = (ids: Types.ObjectId[], limit: number) =>
    WebhookEvent.find({ endpointId: { $in: ids }, $or: due(t) })
      .setOptions({ allTenants: true })
      .select({ key: 0, createdAt: 0, lastError: 0, lastStatus: 0, deliveredAt: 0, okAttempt: 0 })
      .sort({ nextAttemptAt: 1, _id: 1 })
      .limit(limit)
      .lean<Candidate[]>();
  const found = await dueOf(
    [...usable.values()].map((ep) => ep._id),
    scan,
  );
  // The oldest due events were all one endpoint's backlog (the read was full): each endpoint
  // that got none reads its own, so a backlog at one endpoint never delays another's.
  if (found.length >= scan) {
    const seen = new Set(found.map((c) => String(c.endpointId)));
    const left = [...usable.values()].filter((ep) => !seen.has(String(ep._id)));
    for (const more of await Promise.all(left.map((ep) => dueOf([ep._id], deliveryPolicy.perEndpointPerRun))))
      found.push(...more);
  }
  return found;
}

/** When this process last read due events (the fast path reads none: fresh-events.ts). */
let lastScan = -Infinity;

/**
 * Take endpoints with due events for this run (see the header); returns their events to send:
 * the events this process wrote (fresh-events.ts: no read of due events) while they last and
 * the last read is recent, else the due events read from the table.
 */
async function claim(t: Date, max: number, scan: number): Promise<Taken> {
  if (allTakenHere(t)) return { claimed: [], endpoints: new Map(), held: [], token: randomUUID() };
  const read = await usableEndpoints(t);
  if (!read.usable.size) return { claimed: [], endpoints: read.usable, held: [], token: randomUUID() };
  if (performance.now() - lastScan < deliveryPolicy.scanEveryMs) {
    // Per-ticket order (never handed over) and half-open probes need the table's view: the read.
    const fresh = freshFor(read.tokens, t).filter((c) => {
      const ep = read.usable.get(String(c.endpointId));
      return ep && !ep.orderedPerTicket && !read.halfOpen.has(String(c.endpointId));
    });
    if (fresh.length) {
      const taken = await take(fresh, read, t, max);
      if (taken.claimed.length) return taken;
    }
  }
  lastScan = performance.now();
  return take(await readDue(t, read.usable, scan), read, t, max);
}

/** Lease the endpoints of these candidates, then pick what this run sends (order, shares, probes). */
// Long function: one lease protocol (lease, order, share, probe, hand-over), clearer whole than in pieces.
async function take(found: Candidate[], read: EndpointsRead, t: Date, max: number): Promise<Taken> {
  const { usable, halfOpen } = read;
  const token = randomUUID();
  const none: Taken = { claimed: [], endpoints: usable, held: [], token };
  const wanted = [...new Set(found.map((c) => String(c.endpointId)))].map(
    (id) => usable.get(id) as EndpointRow,
  );
  const held = await leaseEndpoints(wanted, token, new Date(t.getTime() + deliveryPolicy.leaseMs));
  for (const id of held) {
    noteLeaseToken(id, token);
    heldHere.set(id, performance.now() + deliveryPolicy.leaseMs);
  }
  const taken: Taken = { ...none, held: wanted.filter((ep) => held.has(String(ep._id))).map((ep) => ep._id) };
  const ours = found.filter((c) => held.has(String(c.endpointId)));
  const ordered = new Set(
    [...usable.values()].filter((ep) => ep.orderedPerTicket).map((ep) => String(ep._id)),
  );
  const eligible = ours.length ? await inOrder(ours, ordered) : [];
  const perEndpoint = new Map<string, number>();
  const picked: Candidate[] = [];
  // Each endpoint with due events gets an equal share of the run, at least perEndpointPerRun.
  const share = Math.max(
    deliveryPolicy.perEndpointPerRun,
    Math.ceil(max / Math.max(1, new Set(eligible.map((c) => String(c.endpointId))).size)),
  );
  for (const c of eligible) {
    const ep = String(c.endpointId);
    const cap = halfOpen.has(ep) ? 1 : share;
    const n = perEndpoint.get(ep) ?? 0;
    if (n >= cap || picked.length >= max) continue;
    perEndpoint.set(ep, n + 1);
    picked.push(c);
  }
  // A half-open endpoint's probe is taken by one run only.
  for (const ep of halfOpen) {
    if (!perEndpoint.has(ep)) continue;
    const row = usable.get(ep) as EndpointRow;
    const took = await endpointsDoor.updateOne(
      {
        _id: row._id,
        circuitOpenUntil: row.circuitOpenUntil,
        $or: [{ probeUntil: null }, { probeUntil: { $lte: t } }],
      },
      { $set: { probeUntil: new Date(t.getTime() + deliveryPolicy.leaseMs) } },
    );
    if (!took.modifiedCount) {
      const drop = picked.findIndex((c) => String(c.endpointId) === ep);
      if (drop >= 0) picked.splice(drop, 1);
    }
  }
  // What this run sends leaves the hand-over; what it does not stays, under its lease token.
  const sent = new Set(picked.map((c) => String(c._id)));
  for (const id of held) settleTaken(id, read.tokens.get(id) ?? null, token, sent);
  // Ours as read (the lease, not a write per event, keeps other runs off them); this attempt's number.
  const claimed = picked
    .map((c) => ({ ...c, attempts: c.attempts + 1 }))
    .sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  return { ...taken, claimed };
}

/**
 * This process's claims, one at a time: two runs of one node (the recurring job and the wake-up)
 * would otherwise read the same endpoints and race for each lease; in turn, the second reads
 * after the first's take and leases the endpoints left. Other processes still race, settled by
 * the conditional updates.
 */
let claimTurn: Promise<unknown> = Promise.resolve();
function inTurn<T>(fn: () => Promise<T>): Promise<T> {
  const mine = claimTurn.then(fn, fn);
  claimTurn = mine.catch(() => undefined);
  return mine;
}

/** Endpoints whose breaker opened in this process: their lanes stop sending what they still hold. */
const tripped = new Set<string>();

/** The endpoint answered, or not: its breaker and failing-since follow. */
async function noteHealth(ep: EndpointRow, healthy: boolean, t: Date): Promise<void> {
  if (healthy) {
    if (!ep.consecutiveFailures && !ep.failingSince && !ep.circuitOpenUntil && !ep.probeUntil) return;
    await endpointsDoor.updateOne(
      { _id: ep._id },
      { $set: { consecutiveFailures: 0, failingSince: null, circuitOpenUntil: null, probeUntil: null } },
    );
    ep.consecutiveFailures = 0;
    ep.failingSince = ep.circuitOpenUntil = ep.probeUntil = null;
    return;
  }
  // The count as it was before plus one (reading before and adding: see engine notes on $inc).
  const was = await endpointsDoor.findOneAndUpdate(
    { _id: ep._id },
    { $inc: { consecutiveFailures: 1 }, $set: { probeUntil: null } },
    { returnDocument: 'before', projection: { consecutiveFailures: 1, failingSince: 1 } },
  );
  const count = Number((was as { consecutiveFailures?: number } | null)?.consecutiveFailures ?? 0) + 1;
  if (!(was as { failingSince?: Date | null } | null)?.failingSince)
    await endpointsDoor.updateOne({ _id: ep._id, failingSince: null }, { $set: { failingSince: t } });
  if (count >= deliveryPolicy.breakerThreshold) {
    tripped.add(String(ep._id));
    const open = Math.min(
      deliveryPolicy.breakerBaseMs * 2 ** (count - deliveryPolicy.breakerThreshold),
      deliveryPolicy.breakerMaxMs,
    );
    await endpointsDoor.updateOne(
      { _id: ep._id },
      { $set: { circuitOpenUntil: new Date(t.getTime() + open) } },
    );
  }
}

/** Parsed endpoint URLs (one per endpoint, not one per attempt; never mutated). */
const urls = new Map<string, URL>();
function urlOf(href: string): URL {
  let url = urls.get(href);
  if (!url) {
    if (urls.size >= 1000) urls.clear();
    url = new URL(href);
    urls.set(href, url);
  }
  return url;
}

// Long function: one attempt from request to its outcome (recorded, retried, given up, endpoint disabled), read in order.
async function deliverOne(
  ctx: Ctx,
  row: Claimed,
  ep: EndpointRow,
  clock: () => Date,
  random: () => number,
  tally: DeliverResult,
  behind: Array<Promise<void>>,
  writeUntil: number,
): Promise<void> {
  const url = urlOf(ep.url);
  const sentAt = clock();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'BackofficeDesk-Webhooks/1',
    'webhook-id': row.msgId,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': signatureOf(ep, row.msgId, sentAt, row.payload),
  };
  const refused = refusedTarget(url);
  const started = performance.now();
  const answer: Answer = refused
    ? { status: null, excerpt: '', error: `refused: ${refused}` }
    : await post(url, headers, row.payload);
  const latencyMs = Math.round(performance.now() - started);
  const t = clock();
  const status = answer.status;
  const ok = status !== null && status >= 200 && status < 300 && !answer.error;
  const record = {
    _id: new Types.ObjectId(),
    attempt: row.attempts,
    at: sentAt,
    url: ep.url,
    requestHeaders: headers,
    status,
    responseExcerpt: answer.excerpt,
    latencyMs,
    error: answer.error ? answer.error.slice(0, 500) : null,
    ok,
  };
  const attempt = {
    ...record,
    tenantId: row.tenantId,
    endpointId: row.endpointId,
    eventId: row._id,
    msgId: row.msgId,
  };
  // Written only while the lease holds (see finishEvent); after, the event stays due (false).
  const finish = async (set: Record<string, unknown>): Promise<boolean> => {
    if (performance.now() > writeUntil) {
      ctx.log.warn(
        { event: String(row._id) },
        'webhook outcome not written: the lease runs out (sent again)',
      );
      return false;
    }
    await finishEvent.submit({ _id: row._id, set });
    return true;
  };
  const release = { leaseUntil: null, claimedBy: null, lastStatus: status, attempts: row.attempts };
  if (ok) {
    // One write: the delivered mark carries its attempt (`okAttempt`, read by the history).
    // Recorded behind the lane's next request (group commits with the other lanes'), not before
    // it: the endpoint's lease keeps the event until its delivered mark is written, and the run
    // waits for these before it gives the lease back, claims again or returns. A crash in between
    // leaves the lease to run out: sent again, same webhook-id (at least once, as before). A mark
    // too late to write leaves this attempt a row of its own (the event goes again).
    tally.delivered++;
    behind.push(
      finish({
        ...release,
        status: 'delivered',
        deliveredAt: t,
        lastStatus: status ?? 200,
        lastError: null,
        okAttempt: record,
      })
        .then(async (written) => {
          if (!written) await insertAttempt(attempt);
          await noteHealth(ep, true, t);
        })
        .catch((err: unknown) =>
          ctx.log.error({ err, event: String(row._id) }, 'webhook delivery could not be recorded'),
        ),
    );
    return;
  }
  await insertAttempt(attempt);
  const lastError = (answer.error ?? `HTTP ${String(status)}`).slice(0, 500);
  if (status === 410) {
    await finish({ ...release, status: 'failed', lastError });
    await endpointsDoor.updateOne(
      { _id: ep._id, state: 'active' },
      { $set: { state: 'disabled', disabledReason: 'gone', disabledAt: t } },
    );
    ctx.log.warn({ endpoint: String(ep._id) }, 'webhook endpoint answered 410 Gone: disabled');
    tally.failed++;
    return;
  }
  const next = nextAttemptAt(row.attempts, t, random, retryAfterMs(answer.retryAfter, t));
  await finish(
    next
      ? { ...release, status: 'pending', nextAttemptAt: next, lastError }
      : { ...release, status: 'failed', lastError },
  );
  if (next) tally.retried++;
  else tally.failed++;
  // The endpoint's health, not this payload's: no answer, throttled, or the server failing.
  const endpointLevel = status === null || status === 429 || status >= 500;
  if (endpointLevel) await noteHealth(ep, false, t);
  else if (ep.circuitOpenUntil) await noteHealth(ep, true, t); // a probe that was answered
}

/** Deliver what is due now (see the header), up to `limit` events. */
export async function deliverDueWebhooks(
  ctx: Ctx,
  opts: DeliverOptions = {},
): Promise<DeliverResult & { claimed: number }> {
  const clock = opts.now ?? (() => new Date());
  const random = opts.random ?? Math.random;
  const limit = opts.limit ?? 1000;
  const tally: DeliverResult = { delivered: 0, retried: 0, failed: 0 };
  let claimedTotal = 0;
  while (claimedTotal < limit) {
    const want = Math.min(deliveryPolicy.claimBatch, limit - claimedTotal);
    // Taken no earlier than now: the lease's end as this process counts it.
    const writeUntil =
      performance.now() + deliveryPolicy.leaseMs - (opts.writeMarginMs ?? deliveryPolicy.writeMarginMs);
    const { claimed, endpoints, held, token } = await inTurn(() =>
      claim(clock(), want, opts.scan ?? deliveryPolicy.claimBatch * 2),
    );
    const giveBack = () =>
      releaseEndpoints(token, held).catch((err: unknown) =>
        ctx.log.warn({ err }, 'webhook endpoints not given back (their lease runs out)'),
      );
    if (!claimed.length) {
      await giveBack();
      break;
    }
    claimedTotal += claimed.length;
    // One endpoint's events go one after another in their order; endpoints in parallel.
    const byEndpoint = new Map<string, Claimed[]>();
    for (const row of claimed) {
      const id = String(row.endpointId);
      const list = byEndpoint.get(id);
      if (list) list.push(row);
      else byEndpoint.set(id, [row]);
    }
    const lanes = [...byEndpoint.entries()].flatMap(([id, rows]) => {
      const ep = endpoints.get(id) as EndpointRow;
      // Unordered endpoints: a few requests at once; ordered: one ticket's events in sequence.
      const perTicket = new Map<string, Claimed[]>();
      rows.forEach((r, i) => {
        const lane = ep.orderedPerTicket ? String(r.ticketId) : String(i % 8);
        const list = perTicket.get(lane);
        if (list) list.push(r);
        else perTicket.set(lane, [r]);
      });
      return [...perTicket.values()].map((laneRows) => ({ ep, rows: laneRows }));
    });
    const claimedAt = performance.now();
    // Stop well before the lease runs out (another run would take the rest over and send it too).
    const sendUntil = claimedAt + deliveryPolicy.leaseMs - webhookSettings().timeoutMs - 5_000;
    for (const ep of endpoints.keys()) tripped.delete(ep);
    const behind: Array<Promise<void>> = [];
    await eachLimit(lanes, deliveryPolicy.concurrency, async ({ ep, rows }) => {
      for (const row of rows) {
        // The rest stay as they are (no attempt counted), due for the next run.
        if (tripped.has(String(ep._id)) || performance.now() > sendUntil) break;
        try {
          await deliverOne(ctx, row, ep, clock, random, tally, behind, writeUntil);
        } catch (err) {
          // The database failed us: the event stays due, sent again (same webhook-id) after the lease.
          ctx.log.error({ err, event: String(row._id) }, 'webhook delivery could not be recorded');
        }
      }
    });
    // Every outcome written before the lease goes back (else another run reads a delivered event as due).
    await Promise.all(behind);
    await giveBack();
  }
  return { ...tally, claimed: claimedTotal };
}
