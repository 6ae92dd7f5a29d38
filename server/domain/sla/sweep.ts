import type { Ctx } from '../context.js';
import { dueRows } from './due-list.js';
import { markClocks } from './sweep-escalate.js';
import { queueSweepMails } from './sweep-mail.js';
import { planTickets, readDueTickets } from './sweep-plan.js';
import { recordEvents, recordTimelineEntries } from './sweep-record.js';

export const SWEEP_BATCH = 500;

/**
 * Find tickets whose next SLA event is due and act on it. Few recurring sweeps instead of one
 * agenda job per deadline: on the embedded engine agenda slows down with every job stored. The
 * tickets come from the due list (due-list.ts), whose row follows each clock the sweep marks.
 *
 * A batch goes through its steps together: the events (one unordered insert), their internal
 * timeline entries (one more), the mails, then each ticket's clock. Every step is idempotent on
 * its own unique key (the event, its timeline entry, each mail's key), and a ticket's clock is
 * marked last, in one update conditional on its version that also carries the breach's priority
 * raise: a sweep killed half-way, or two sweeps at once, leave each effect exactly once, and a
 * ticket whose clock was not marked is simply taken up again by the next sweep.
 */
export async function sweepSla(
  ctx: Ctx,
  now = new Date(),
  limit = SWEEP_BATCH,
): Promise<{ tickets: number; events: number }> {
  // The due list names the tickets to look at (a scan of open work only, not of every ticket).
  const rows = await dueRows(now, limit);
  if (!rows.length) return { tickets: 0, events: 0 };
  const due = await readDueTickets(rows, now);
  if (!due.length) return { tickets: rows.length, events: 0 };
  const plans = await planTickets(due, now);
  const occurred = plans.flatMap((plan) => plan.happened.map((event) => ({ plan, event })));
  const events = await recordEvents(ctx, occurred); // 1. the events (warnings and breaches)
  await recordTimelineEntries(ctx, occurred); // 2. their internal timeline entries
  const unsettled = await queueSweepMails(ctx, plans, occurred); // 3. the mails
  const rowOf = new Map(rows.map((row) => [String(row._id), row]));
  await markClocks(
    plans.filter((plan) => !unsettled.has(plan.ticket)),
    rowOf,
  ); // 4. each clock, with the escalation
  return { tickets: rows.length, events };
}
