import { Types } from 'mongoose';
import { Ticket } from '../../../models/ticket.js';
import type { TimelineKind } from '../../../models/timeline-entry.js';
import { authorOf, type Author } from '../auth/authors.js';
import type { Ctx } from '../context.js';
import { appendTimeline } from './timeline.js';

/**
 * A status change or an assignment is one ticket update plus one timeline entry (the durable
 * record webhooks and the history derive from). Two writes: a crash between them would lose the
 * entry. So the ticket update itself carries the entry to write (`pendingEntries`, with its
 * unique key); the entry is written with that key and the marker pulled afterwards. A crash in
 * between leaves the marker, and `completePendingEntries` (run by the webhook sweep, every minute
 * and at every start) writes the entry, at most once (the key is unique), and pulls the marker.
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

/** The marker of an entry the caller's ticket update will carry. */
export function pendingEntry(
  ctx: Ctx,
  entry: { kind: TimelineKind; visibility: 'public' | 'internal'; data: Record<string, unknown>; at: Date },
): PendingEntry {
  const author = authorOf(ctx);
  return {
    key: new Types.ObjectId().toHexString(),
    ...entry,
    author: { id: author.id, name: author.name, kind: author.kind },
  };
}

/** The part of a ticket update that carries these markers (merge it into the update). */
export const carrying = (entries: PendingEntry[]) => ({ $push: { pendingEntries: { $each: entries } } });

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/** Write the entries the ticket's update carried (each once: a repeated key is ignored), then drop the markers. */
export async function writePendingEntries(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  entries: PendingEntry[],
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
  await Ticket.updateOne(
    { _id: ticket._id, tenantId: ticket.tenantId },
    { $pull: { pendingEntries: { key: { $in: entries.map((e) => e.key) } } } },
  );
}

/**
 * Finish what a crash interrupted: every ticket (of every tenant) still carrying markers older
 * than PENDING_ENTRY_GRACE_MS gets its entries written and the markers pulled. Returns how many
 * entries were finished.
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
    const due = t.pendingEntries.filter((e) => new Date(e.at).getTime() < cutoff.getTime());
    await writePendingEntries(ctx, t, due);
    finished += due.length;
  }
  if (finished) ctx.log.warn({ finished }, 'timeline entries a crash interrupted written');
  return finished;
}
