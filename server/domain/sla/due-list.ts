import { Types } from 'mongoose';
import { SlaDue } from '../../../models/sla-due.js';
import { Ticket } from '../../../models/ticket.js';
import type { Ctx } from '../context.js';
import type { SlaClock } from './clock.js';

/**
 * The SLA due list (models/sla-due.ts): which tickets the sweep must look at, and from when.
 *
 * The promise it keeps: every ticket whose clock has a pending event (`sla.nextEventAt`) has a
 * row whose `at` is no later than that event. A row may be early (the ticket's event moved later
 * or went away): the sweep then reads the ticket, finds nothing due, and moves the row to the
 * ticket's real next event or deletes it. So writers only ever move a row earlier, right after
 * the ticket update that moved the clock; the sweep is the only one that moves a row later, and
 * only if nobody wrote the row since it read it (the stamp). A writer killed between its ticket
 * update and its row write leaves a row too late or none: the repair pass below, run at every
 * start and periodically (jobs/sla-sweep.ts), puts it back.
 */

type ClockHolder = { _id: Types.ObjectId; tenantId: Types.ObjectId; sla?: unknown };

const nextOf = (sla: unknown): Date | null => (sla as SlaClock | null | undefined)?.nextEventAt ?? null;

/** The row a ticket needs (for inserting tickets in bulk, as seeds and benches do); null: none. */
export function slaDueRowOf(
  ticket: ClockHolder,
): { _id: Types.ObjectId; tenantId: Types.ObjectId; at: Date; stamp: Types.ObjectId } | null {
  const at = nextOf(ticket.sla);
  return at ? { _id: ticket._id, tenantId: ticket.tenantId, at, stamp: new Types.ObjectId() } : null;
}

/**
 * After an update that moved a ticket's clock: make sure the row is no later than its next event.
 * Skipped when the event did not move earlier than `before`'s (the row is early enough already).
 */
export async function noteSlaDue(ticket: ClockHolder, before?: { sla?: unknown } | null): Promise<void> {
  const at = nextOf(ticket.sla);
  if (!at) return;
  const previous = before ? nextOf(before.sla) : null;
  if (previous && previous.getTime() <= at.getTime()) return;
  await SlaDue.updateOne(
    { _id: ticket._id },
    { $min: { at }, $set: { stamp: new Types.ObjectId(), tenantId: ticket.tenantId } },
    { upsert: true },
  );
}

export interface DueRow {
  _id: Types.ObjectId;
  at: Date;
  stamp: Types.ObjectId;
}

/** Rows due by `now`, earliest first. A scan of the due list only: open tickets with a pending event. */
export async function dueRows(now: Date, limit: number): Promise<DueRow[]> {
  return SlaDue.find({ at: { $lte: now } })
    .sort({ at: 1 })
    .limit(limit)
    .select({ at: 1, stamp: 1 })
    .lean();
}

/**
 * Move a row to the ticket's next event as the sweep left it (none: delete it), unless it was
 * written since the sweep read it: then it stays as early as that writer made it.
 */
export async function settleSlaDue(row: DueRow, next: Date | null): Promise<void> {
  const filter = { _id: row._id, stamp: row.stamp };
  if (next) await SlaDue.updateOne(filter, { $set: { at: next, stamp: new Types.ObjectId() } });
  else await SlaDue.deleteOne(filter);
}

const REPAIR_BATCH = 1000;

/**
 * Give every ticket with a pending event a row no later than it (a writer killed between its
 * ticket update and its row write, tickets written behind the domain's back). One pass over
 * the rows (ids and times only) and one over the tickets with a pending event, both by cursor;
 * writes only where a row is missing or late. Returns how many rows it wrote.
 */
export async function repairSlaDueList(_ctx: Ctx): Promise<number> {
  const known = new Map<string, number>();
  for await (const row of SlaDue.find({}).select({ at: 1 }).lean().cursor({ batchSize: REPAIR_BATCH }))
    known.set(String(row._id), row.at.getTime());
  let written = 0;
  let batch: Array<Parameters<typeof SlaDue.bulkWrite>[0][number]> = [];
  const flush = async (): Promise<void> => {
    if (batch.length) await SlaDue.bulkWrite(batch, { ordered: false });
    written += batch.length;
    batch = [];
  };
  const cursor = Ticket.find({ 'sla.nextEventAt': { $ne: null } })
    .setOptions({ allTenants: true })
    .select({ tenantId: 1, 'sla.nextEventAt': 1 })
    .lean()
    .cursor({ batchSize: REPAIR_BATCH });
  for await (const ticket of cursor) {
    const at = nextOf(ticket.sla);
    const rowAt = known.get(String(ticket._id));
    if (!at || (rowAt !== undefined && rowAt <= at.getTime())) continue;
    batch.push({
      updateOne: {
        filter: { _id: ticket._id },
        update: { $min: { at }, $set: { stamp: new Types.ObjectId(), tenantId: ticket.tenantId } },
        upsert: true,
      },
    });
    if (batch.length >= REPAIR_BATCH) await flush();
  }
  await flush();
  return written;
}
