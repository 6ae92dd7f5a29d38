import type { Types } from 'mongoose';

/**
 * The fast path of delivery: events this process wrote go to the run that takes their endpoint
 * without the read of due events (a scan on the embedded engine). The read stays for retries,
 * other processes' events and crash recovery (deliver.ts scans at least every `scanEveryMs`, and
 * whenever no written event is waiting here).
 *
 * Why an event handed over here is never sent twice: each is stamped with a lease token its
 * endpoint had at some moment before the event was written (`leaseToken` on the endpoint: every
 * take writes a fresh one). A run that read the event as due (after it was written) and took the
 * endpoint replaced that token, for good. So a run that takes the endpoint on the condition that
 * its token is still the stamp knows no other run ever sent the event; it removes what it sends
 * from here and stamps the rest with its own token (no one else takes the endpoint while it holds
 * it). An event whose stamp is not the endpoint's token any more is dropped from here: the read
 * of due events finds it, if it is still due. Nothing is lost here: every event is in the table
 * first (handed over only once its insert is acknowledged), and this is only a shortcut to it.
 */

/** An event as written (what a run sends: payload, webhook-id, attempt count, ticket order). */
export interface FreshEvent {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  endpointId: Types.ObjectId;
  ticketId: Types.ObjectId;
  occurredAt: Date;
  sourceId: Types.ObjectId;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  msgId: string;
  payload: string;
  type: string;
}

type Token = string | null;

/** Events waiting per endpoint, and in all, at most (beyond, the read of due events finds them). */
export const FRESH_PER_ENDPOINT_MAX = 5000;
export const FRESH_MAX = 20_000;

/** Per endpoint: a lease token it had at some moment, as this process last read or wrote it. */
const knownTokens = new Map<string, Token>();
const waiting = new Map<string, Array<{ event: FreshEvent; stamp: Token }>>();

/** The endpoint's lease token was `token` (read from its row, or written by a take of this process). */
export function noteLeaseToken(endpointId: string, token: Token | undefined): void {
  knownTokens.set(endpointId, token ?? null);
}

/**
 * The stamps of events about to be written (taken before the insert): the token this process
 * knows, else the one read with the endpoint row (`leaseToken`; a row that has none had none).
 */
export function stampsBefore(
  endpoints: Array<{ _id: Types.ObjectId; leaseToken?: Token | undefined }>,
): Map<string, Token> {
  const stamps = new Map<string, Token>();
  for (const ep of endpoints) {
    const id = String(ep._id);
    stamps.set(id, knownTokens.has(id) ? (knownTokens.get(id) as Token) : (ep.leaseToken ?? null));
  }
  return stamps;
}

/** Events whose insert was acknowledged, each with its endpoint's stamp from before it. */
export function handOver(events: FreshEvent[], stamps: Map<string, Token>): void {
  let total = freshCount();
  for (const event of events) {
    const id = String(event.endpointId);
    if (!stamps.has(id) || total >= FRESH_MAX) continue;
    const list = waiting.get(id) ?? [];
    if (list.length >= FRESH_PER_ENDPOINT_MAX) continue;
    total++;
    list.push({ event, stamp: stamps.get(id) as Token });
    waiting.set(id, list);
  }
}

/**
 * The written events of an endpoint whose lease token is `token` now (as just read), due at `t`;
 * those stamped otherwise are dropped (the read of due events finds them). Endpoints not in
 * `active` (disabled, deleted) lose theirs. The endpoints take turns in the list.
 */
export function freshFor(active: Map<string, Token>, t: Date): FreshEvent[] {
  const lists: FreshEvent[][] = [];
  for (const [id, list] of waiting) {
    if (!active.has(id)) {
      waiting.delete(id);
      continue;
    }
    const token = active.get(id) as Token;
    const kept = list.filter((w) => w.stamp === token);
    if (kept.length) waiting.set(id, kept);
    else waiting.delete(id);
    lists.push(kept.filter((w) => w.event.nextAttemptAt.getTime() <= t.getTime()).map((w) => w.event));
  }
  // One endpoint's then the next's, in turn: a run's events shared out as a read of due events would.
  const out: FreshEvent[] = [];
  for (let i = 0; lists.some((l) => i < l.length); i++)
    for (const l of lists) if (i < l.length) out.push(l[i] as FreshEvent);
  return out;
}

/**
 * A run took the endpoint: its token went from `was` (the condition of the take) to `now`. What
 * the run sends leaves; the rest stamped `was` (no other run sent it) or `now` (written since)
 * stays, stamped `now`; anything else is dropped.
 */
export function settleTaken(endpointId: string, was: Token, now: string, sent: Set<string>): void {
  noteLeaseToken(endpointId, now);
  const list = waiting.get(endpointId);
  if (!list) return;
  const kept = list
    .filter((w) => (w.stamp === was || w.stamp === now) && !sent.has(String(w.event._id)))
    .map((w) => ({ event: w.event, stamp: now }));
  if (kept.length) waiting.set(endpointId, kept);
  else waiting.delete(endpointId);
}

/** The endpoint's events are read, not handed over (per-ticket order needs the table's view). */
export function forgetFresh(endpointId: string): void {
  waiting.delete(endpointId);
}

/** Events waiting here (tests, the bench). */
export function freshCount(): number {
  let n = 0;
  for (const list of waiting.values()) n += list.length;
  return n;
}
