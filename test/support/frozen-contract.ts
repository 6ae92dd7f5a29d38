import type { Types } from 'mongoose';
import { SlaCalendar } from '../../models/sla-calendar.js';
import { SlaPolicy } from '../../models/sla-policy.js';
import { priorities, ticketTypes } from '../../models/ticket.js';
import { resetCaches } from '../../server/domain/caches.js';

/**
 * A contract whose business time stands still now: open around the clock except a closure from
 * an hour ago to `closedHours` from now. A ticket opened now has all its target time left, in
 * business time, however long the wall clock says until its deadline.
 */
export async function frozenContract(
  tenantId: Types.ObjectId,
  firstResponseMinutes = 120,
  resolutionMinutes = 600,
  closedHours = 6,
): Promise<{ closedUntil: Date }> {
  const closedUntil = new Date(Date.now() + closedHours * 3600_000);
  const calendar = await SlaCalendar.create({
    tenantId,
    name: 'Closed now',
    timeZone: 'Europe/Rome',
    alwaysOpen: true,
    weekly: [],
    holidays: [],
    closures: [{ from: new Date(Date.now() - 3600_000), to: closedUntil, reason: 'test' }],
  });
  await SlaPolicy.create({
    tenantId,
    version: 1,
    calendarId: calendar._id,
    targets: ticketTypes.flatMap((type) =>
      priorities.map((priority) => ({ type, priority, firstResponseMinutes, resolutionMinutes })),
    ),
    warnAt: [50],
    escalation: { raisePriority: false, notifyClient: false },
    createdBy: { id: null, name: 'test' },
  });
  resetCaches();
  return { closedUntil };
}

/** A 24x7 contract whose targets are seconds long, so a sweep at a later `now` records events. */
export async function quickContract(
  tenantId: Types.ObjectId,
  firstResponseSeconds: number,
  resolutionSeconds: number,
): Promise<void> {
  const calendar = await SlaCalendar.create({
    tenantId,
    name: 'Always',
    timeZone: 'Europe/Rome',
    alwaysOpen: true,
    weekly: [],
    holidays: [],
    closures: [],
  });
  await SlaPolicy.create({
    tenantId,
    version: 1,
    calendarId: calendar._id,
    targets: ticketTypes.flatMap((type) =>
      priorities.map((priority) => ({
        type,
        priority,
        firstResponseMinutes: firstResponseSeconds / 60,
        resolutionMinutes: resolutionSeconds / 60,
      })),
    ),
    warnAt: [50],
    escalation: { raisePriority: false, notifyClient: false },
    createdBy: { id: null, name: 'test' },
  });
  resetCaches();
}
