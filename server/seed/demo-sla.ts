import type { Types } from 'mongoose';
import { Ticket, type Priority, type TicketType } from '../../models/ticket.js';
import { TimelineEntry } from '../../models/timeline-entry.js';
import { businessSecondsBetween, type BusinessCalendar } from '../domain/sla/business-time.js';
import {
  firstResponded,
  nextDeadline,
  pause,
  resolved,
  startClock,
  type SlaClock,
} from '../domain/sla/clock.js';
import { calendarOf, currentPolicy, targetFor } from '../domain/sla/contract-store.js';
import { NO_DEADLINE } from '../domain/sla/ticket-clock.js';

/**
 * Demo tickets are created "now"; to show every SLA state on first start, move each one's
 * start back by a share of its first-response target (in business time) and replay what
 * happened to it. The SLA sweep then records the warnings and breaches that fall in the past.
 */
export const demoSlaAges: Record<string, number> = {
  // share of the first-response target already used when the portal starts
  'ACME-000001': 0.5,
  'ACME-000002': 0.8, // warning
  'ACME-000003': 2.5, // breached, then pending
  'NORDHAVN-000001': 3, // breached
  'NORDHAVN-000002': 0.3, // resolved in time
};

/** The start from which `seconds` of business time lead up to `to` (binary search; minute precision). */
function backwards(cal: BusinessCalendar, to: Date, seconds: number): Date {
  let lo = to.getTime() - 90 * 86_400_000;
  let hi = to.getTime();
  while (hi - lo > 60_000) {
    const mid = Math.floor((lo + hi) / 2);
    if (businessSecondsBetween(cal, new Date(mid), to) >= seconds) lo = mid;
    else hi = mid;
  }
  return new Date(lo);
}

export async function backdateDemoClocks(tenantId: Types.ObjectId): Promise<void> {
  const [calendar, policy] = await Promise.all([
    calendarOf(String(tenantId)),
    currentPolicy(String(tenantId)),
  ]);
  if (!calendar || !policy) return;
  const now = new Date();
  for (const [number, share] of Object.entries(demoSlaAges)) {
    const t = await Ticket.findOne({ tenantId, number }).lean();
    if (!t) continue;
    const targets = targetFor(policy, t.type as TicketType, t.priority as Priority);
    if (!targets) continue;
    const startedAt = backwards(calendar, now, Math.round(targets.firstResponseSeconds * share));
    let clock: SlaClock = startClock(calendar, targets, policy.version, policy.warnAt ?? [75, 90], startedAt);
    if (t.firstResponseAt) clock = firstResponded(calendar, clock, t.firstResponseAt);
    if (t.status === 'pending') clock = pause(calendar, clock, t.pendingAt ?? now);
    if (t.status === 'resolved' || t.status === 'closed')
      clock = resolved(calendar, clock, t.resolvedAt ?? now);
    await Ticket.collection.updateOne(
      { _id: t._id, tenantId },
      { $set: { sla: clock, dueSortAt: nextDeadline(clock) ?? NO_DEADLINE, createdAt: startedAt } },
    );
    await TimelineEntry.updateOne(
      { tenantId, ticketId: t._id, kind: 'created' },
      { $set: { at: startedAt } },
    );
  }
}
