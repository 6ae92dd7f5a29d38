import type { Types } from 'mongoose';
import { TimelineEntry, type TimelineKind } from '../../../models/timeline-entry.js';
import { coalescedInsert } from '../../db/coalesced-insert.js';
import { scopedCollection } from '../../db/scoped-collection.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { authorOf, type Author } from '../auth/authors.js';

/** Entries of concurrent changes go together (group commit), each acknowledged for itself. */
const entries = scopedCollection(TimelineEntry);
const insertEntry = coalescedInsert(() => entries);

export interface TimelineInput {
  kind: TimelineKind;
  visibility: 'public' | 'internal';
  body?: string;
  data?: Record<string, unknown>;
  attachmentIds?: Types.ObjectId[];
  at?: Date;
  /** Makes the entry idempotent: a second append with the same key is ignored. */
  key?: string;
  /** Who the entry is attributed to, when not the caller (a repair completing someone's request). */
  author?: Author;
}

/** Append one entry to a ticket's history (a document of its own, never an array on the ticket). */
export async function appendTimeline(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  entry: TimelineInput,
) {
  const author = entry.author ?? authorOf(ctx);
  // Built, defaulted and validated by the schema, stored with one plain insert (no save machinery).
  const entryDoc = new TimelineEntry({
    ...(entry.key ? { key: entry.key } : {}),
    tenantId: ticket.tenantId,
    ticketId: ticket._id,
    at: entry.at ?? new Date(),
    kind: entry.kind,
    visibility: entry.visibility,
    author: { id: author.id, name: author.name, kind: author.kind },
    body: entry.body ?? '',
    data: entry.data ?? {},
    attachmentIds: entry.attachmentIds ?? [],
  });
  await entryDoc.validate();
  const stored = entryDoc.toObject();
  await insertEntry(stored);
  entryDoc.isNew = false;
  // After it is stored: webhook events derive from it (the sweep finds it again if nobody listens).
  domainEvents.emit('timeline.appended', { entry: stored });
  return entryDoc;
}
