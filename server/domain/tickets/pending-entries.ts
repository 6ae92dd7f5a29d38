import { Types } from 'mongoose';
import { CsatRating } from '../../../models/csat-rating.js';
import { Ticket } from '../../../models/ticket.js';
import type { TimelineKind } from '../../../models/timeline-entry.js';
import { authorOf, type Author } from '../auth/authors.js';
import type { Ctx } from '../context.js';
import { appendTimeline } from './timeline.js';

/**
 * A status change or an assignment is one ticket update plus one timeline entry (the durable
 * record webhooks and the history derive from). Two writes: a crash between them would lose the
 * entry. So the update itself carries the entry to write (`pendingEntries`, with its unique key);
 * the entry is written with that key and the marker pulled afterwards. A crash in between leaves
 * the marker, and `completePendingEntries` (run by the webhook sweep, every minute and at every
 * start) writes the entry, at most once (the key is unique), and pulls the marker.
 * The one way for every such pair of writes: the carrier is the ticket itself, or another
 * document of the ticket whose update is the change (a satisfaction rating: rate-resolution.ts).
 */
export interface PendingEntry {
  key: string;
  kind: TimelineKind;
  visibility: 'public' | 'internal';
  data: Record<string, unknown>;
  at: Date;
  author: { id: Types.ObjectId | null; name: string; kind: Author['kind'] };
}

/** Markers older than this are finished by the sweep (younger ones belong to a request in flight). */
export const PENDING_ENTRY_GRACE_MS = 30_000;

/** The marker of an entry the caller's update will carry (in the caller's name unless `author` says). */
export function pendingEntry(
  ctx: Ctx,
  entry: {
    kind: TimelineKind;
    visibility: 'public' | 'internal';
    data: Record<string, unknown>;
    at: Date;
    key?: string;
    author?: PendingEntry['author'];
  },
): PendingEntry {
  const { key, author: given, ...rest } = entry;
  const author = given ?? authorOf(ctx);
  return {
    key: key ?? new Types.ObjectId().toHexString(),
    ...rest,
    author: { id: author.id, name: author.name, kind: author.kind },
  };
}

/** The documents that carry markers: the ticket itself, or a satisfaction rating of it. */
export type Carrier = { model: 'ticket' } | { model: 'rating'; _id: Types.ObjectId };

/** The part of a ticket update that carries these markers (merge it into the update). */
export const carrying = (entries: PendingEntry[]) => ({ $push: { pendingEntries: { $each: entries } } });

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/**
 * Write the entries an update carried (each once: a repeated key is ignored), then drop the
 * markers from the document that carried them (the ticket unless `carrier` names another).
 */
export async function writePendingEntries(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  entries: PendingEntry[],
  carrier: Carrier = { model: 'ticket' },
): Promise<void> {
  for (const e of entries) {
    try {
      await appendTimeline(ctx, ticket, {
        key: e.key,
        kind: e.kind,
        visibility: e.visibility,
        data: e.data,
        at: new Date(e.at),
        author: e.author,
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  if (!entries.length) return;
  const pull = { $pull: { pendingEntries: { key: { $in: entries.map((e) => e.key) } } } };
  if (carrier.model === 'rating')
    await CsatRating.updateOne({ _id: carrier._id, tenantId: ticket.tenantId }, pull);
  else await Ticket.updateOne({ _id: ticket._id, tenantId: ticket.tenantId }, pull);
}

const dueBefore = (entries: PendingEntry[], cutoff: Date) =>
  entries.filter((e) => new Date(e.at).getTime() < cutoff.getTime());

/**
 * Finish what a crash interrupted: every ticket or rating (of every tenant) still carrying
 * markers older than PENDING_ENTRY_GRACE_MS gets its entries written and the markers pulled.
 * Returns how many entries were finished.
 */
export async function completePendingEntries(ctx: Ctx, opts: { now?: Date } = {}): Promise<number> {
  const cutoff = new Date((opts.now ?? new Date()).getTime() - PENDING_ENTRY_GRACE_MS);
  const tickets = await Ticket.find({ 'pendingEntries.at': { $lt: cutoff } })
    .setOptions({ allTenants: true })
    .select({ tenantId: 1, pendingEntries: 1 })
    .limit(500)
    .lean<Array<{ _id: Types.ObjectId; tenantId: Types.ObjectId; pendingEntries: PendingEntry[] }>>();
  let finished = 0;
  for (const t of tickets) {
    const due = dueBefore(t.pendingEntries, cutoff);
    await writePendingEntries(ctx, t, due);
    finished += due.length;
  }
  const ratings = await CsatRating.find({ 'pendingEntries.at': { $lt: cutoff } })
    .setOptions({ allTenants: true })
    .select({ tenantId: 1, ticketId: 1, pendingEntries: 1 })
    .limit(500)
    .lean<
      Array<{
        _id: Types.ObjectId;
        tenantId: Types.ObjectId;
        ticketId: Types.ObjectId;
        pendingEntries: PendingEntry[];
      }>
    >();
  for (const r of ratings) {
    const due = dueBefore(r.pendingEntries, cutoff);
    await writePendingEntries(ctx, { _id: r.ticketId, tenantId: r.tenantId }, due, {
      model: 'rating',
      _id: r._id,
    });
    finished += due.length;
  }
  if (finished) ctx.log.warn({ finished }, 'timeline entries a crash interrupted written');
  return finished;
}
