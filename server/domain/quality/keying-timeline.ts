import type { Types } from 'mongoose';
import type { Ctx } from '../context.js';
import { appendTimeline } from '../tickets/timeline.js';

/** What happened to a data-entry ticket's records, as its timeline tells (timeline-view.ts, `double.timeline`). */
export type KeyingAction = 'finished' | 'accepted' | 'rejected' | 'settled';

/**
 * One internal `keying` entry on the ticket's timeline: the batch finished and its sample drawn
 * (the first round, or a reworked batch), the lot accepted or rejected (back to rework), the
 * differences of a double-keyed record settled. The key makes each entry once: the operations call
 * this after their conditional writes, also when a repeated call completes an interrupted one.
 */
export async function appendKeyingEntry(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  entry: { action: KeyingAction; data: Record<string, unknown>; key: string; at?: Date },
): Promise<void> {
  try {
    await appendTimeline(ctx, ticket, {
      kind: 'keying',
      visibility: 'internal',
      data: { action: entry.action, ...entry.data },
      key: entry.key,
      ...(entry.at ? { at: entry.at } : {}),
    });
  } catch (err) {
    // The entry was written by an earlier (interrupted or concurrent) call.
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}

/** The key of a record's "differences settled" entry: once per second keying of the record. */
export const settledEntryKey = (recordId: unknown, secondAt: Date | null | undefined): string =>
  `keying.settled:${String(recordId)}:${secondAt ? secondAt.getTime() : 0}`;
