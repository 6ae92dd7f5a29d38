import { SlaEvent } from '../../../models/sla-event.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { scopedCollection } from '../../db/scoped-collection.js';
import type { Ctx } from '../context.js';
import { authorOf } from '../auth/authors.js';
import { eventKey, type Occurrence } from './sweep-plan.js';

/** Steps 1 and 2 of a sweep: the events, and an internal timeline entry for each. */

/**
 * Insert every document whose unique key is free, in one unordered insertMany; returns the
 * indexes of the documents inserted. A duplicate key is a row that exists already (an earlier
 * sweep, or another worker): not an error. Any other error throws.
 */
async function insertFresh(
  collection: { insertMany(docs: object[], options: { ordered: false }): Promise<unknown> },
  docs: object[],
): Promise<Set<number>> {
  const fresh = new Set(docs.keys());
  if (!docs.length) return fresh;
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (err) {
    const raw = (err as { writeErrors?: unknown } | null)?.writeErrors;
    const errors = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Array<{ index?: number; code?: number }>;
    if (!errors.length || errors.some((e) => e.code !== 11000 || typeof e.index !== 'number')) throw err;
    for (const e of errors) fresh.delete(e.index as number);
  }
  return fresh;
}

/**
 * The events: the unique index on (ticket, target, kind, threshold) records each once. Returns
 * how many were new.
 */
export async function recordEvents(ctx: Ctx, occurred: Occurrence[]): Promise<number> {
  const recordedAt = new Date();
  const events = occurred.map(
    ({ plan: { ticket }, event }) =>
      new SlaEvent({
        tenantId: ticket.tenantId,
        ticketId: ticket._id,
        number: ticket.number,
        target: event.target,
        kind: event.kind,
        threshold: event.threshold,
        dueAt: event.at,
        recordedAt,
        recordedBy: ctx.requestId,
      }),
  );
  await Promise.all(events.map((doc) => doc.validate()));
  const fresh = await insertFresh(
    scopedCollection(SlaEvent),
    events.map((doc) => doc.toObject()),
  );
  return fresh.size;
}

/** One internal timeline entry per event, keyed by the event (unique). */
export async function recordTimelineEntries(ctx: Ctx, occurred: Occurrence[]): Promise<void> {
  const author = authorOf(ctx);
  const entries = occurred.map(
    ({ plan: { ticket }, event }) =>
      new TimelineEntry({
        key: eventKey(ticket, event),
        tenantId: ticket.tenantId,
        ticketId: ticket._id,
        at: event.at,
        kind: 'sla',
        visibility: 'internal',
        author: { id: author.id, name: author.name, kind: author.kind },
        body: '',
        data: { target: event.target, kind: event.kind, threshold: event.threshold, dueAt: event.at },
        attachmentIds: [],
      }),
  );
  await Promise.all(entries.map((doc) => doc.validate()));
  await insertFresh(
    scopedCollection(TimelineEntry),
    entries.map((doc) => doc.toObject()),
  );
}
