import type { Priority, TicketType } from '../../../models/ticket.js';
import type { BusinessCalendar } from './business-time.js';
import {
  firstResponded,
  nextDeadline,
  pause,
  resolved,
  resume,
  retarget,
  startClock,
  type SlaClock,
} from './clock.js';
import { calendarOf, currentPolicy, policyVersion, targetFor } from './contract-store.js';

/** Far-future sort key: tickets without a running deadline go last in SLA order. */
export const NO_DEADLINE = new Date('9999-12-31T00:00:00Z');

export type SlaChange =
  | { kind: 'firstResponse'; at: Date }
  | { kind: 'pause'; at: Date }
  | { kind: 'resume'; at: Date }
  | { kind: 'resolved'; at: Date }
  | { kind: 'retarget'; at: Date; type: TicketType; priority: Priority };

/** The fields an update sets alongside the change that moved the clock. */
export interface SlaPatch {
  sla: SlaClock;
  dueSortAt: Date;
}

const patchOf = (sla: SlaClock): SlaPatch => ({ sla, dueSortAt: nextDeadline(sla) ?? NO_DEADLINE });

/** Start the clock of a new ticket under the tenant's current policy (none: no SLA). */
export async function slaForNewTicket(
  tenantId: string,
  type: TicketType,
  priority: Priority,
  start: Date,
): Promise<SlaPatch | null> {
  const [policy, calendar] = await Promise.all([currentPolicy(tenantId), calendarOf(tenantId)]);
  if (!policy || !calendar) return null;
  const targets = targetFor(policy, type, priority);
  if (!targets) return null;
  return patchOf(startClock(calendar, targets, policy.version, policy.warnAt ?? [75, 90], start));
}

export async function calendarFor(tenantId: string): Promise<BusinessCalendar | null> {
  return calendarOf(tenantId);
}

/**
 * Move a ticket's clock for a change of the ticket; the caller puts the patch into the same
 * update as the change itself. Tickets opened before any contract have no clock.
 */
export async function slaAfter(
  ticket: { tenantId: unknown; sla?: unknown },
  change: SlaChange,
): Promise<SlaPatch | null> {
  const clock = ticket.sla as SlaClock | null | undefined;
  if (!clock) return null;
  const tenantId = String(ticket.tenantId);
  const calendar = await calendarOf(tenantId);
  if (!calendar) return null;
  switch (change.kind) {
    case 'firstResponse':
      return patchOf(firstResponded(calendar, clock, change.at));
    case 'pause':
      return patchOf(pause(calendar, clock, change.at));
    case 'resume':
      return patchOf(resume(calendar, clock, change.at));
    case 'resolved':
      return patchOf(resolved(calendar, clock, change.at));
    case 'retarget': {
      // The ticket keeps the policy version it was opened under.
      const policy = await policyVersion(tenantId, clock.policyVersion);
      const targets = policy ? targetFor(policy, change.type, change.priority) : null;
      return targets ? patchOf(retarget(calendar, clock, targets)) : null;
    }
  }
}
