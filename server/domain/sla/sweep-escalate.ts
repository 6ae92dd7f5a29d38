import { priorities, priorityRank, Ticket, type Priority } from '../../../models/ticket.js';
import { domainEvents } from '../events.js';
import { nextDeadline, stateOf } from './clock.js';
import { settleSlaDue, type DueRow } from './due-list.js';
import { eachLimit } from './each-limit.js';
import { UPDATE_CONCURRENCY, type Plan } from './sweep-plan.js';
import { NO_DEADLINE } from './ticket-clock.js';

/**
 * Step 4 of a sweep, last: each clock marked together with the breach's one-step priority raise
 * (the escalation), in one update conditional on the version read. Once it is in, the events are
 * never due again, so the raise happens exactly once; a ticket changed meanwhile has recomputed
 * its clock, and the next sweep records what is left (its events and mails exist already).
 */
export async function markClocks(plans: Plan[], rowOf: Map<string, DueRow>): Promise<void> {
  await eachLimit(plans, UPDATE_CONCURRENCY, (plan) => markClock(plan, rowOf.get(String(plan.ticket._id))));
}

/** The ticket's priority one step up, or null when it is at the top already. */
function raisedPriority(current: string): Priority | null {
  const i = priorities.indexOf(current as Priority);
  const raised = priorities[Math.min(i + 1, priorities.length - 1)] as Priority;
  return raised === current ? null : raised;
}

async function markClock(
  { ticket, happened, sla, raisePriority }: Plan,
  row: DueRow | undefined,
): Promise<void> {
  const $set: Record<string, unknown> = { sla, dueSortAt: nextDeadline(sla) ?? NO_DEADLINE };
  if (raisePriority && happened.some((e) => e.kind === 'breach')) {
    const raised = raisedPriority(ticket.priority);
    if (raised) Object.assign($set, { priority: raised, priorityRank: priorityRank[raised] });
  }
  // Exactly these three fields: a unique index on the engine (models/ticket.ts), not a scan.
  const updated = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, version: ticket.version },
    { $set, $inc: { version: 1 } },
    { returnDocument: 'after' },
  )
    .select({ version: 1 })
    .lean();
  // The row follows the clock; a row written meanwhile (or a clock changed meanwhile) stays
  // as it is, due now, and the next sweep looks again.
  if (updated && row) await settleSlaDue(row, sla.nextEventAt ?? null);
  if (updated && happened.length) {
    domainEvents.emit('ticket.sla', {
      tenantId: String(ticket.tenantId),
      ticketId: String(ticket._id),
      number: ticket.number,
      version: updated.version,
      state: stateOf(sla) ?? 'ok',
      events: happened.map((e) => ({ target: e.target, kind: e.kind, threshold: e.threshold })),
    });
  }
}
