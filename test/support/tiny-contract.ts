import type { Types } from 'mongoose';
import { SlaCalendar } from '../../models/sla-calendar.js';
import { SlaPolicy } from '../../models/sla-policy.js';
import { priorities, ticketTypes } from '../../models/ticket.js';
import { resetCaches } from '../../server/domain/caches.js';

/** A 24x7 contract whose targets are seconds long, so deadlines fall within the test. */
export async function tinyContract(
  tenantId: Types.ObjectId,
  firstResponseSeconds: number,
  resolutionSeconds: number,
  version = 1,
) {
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
    version,
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
    escalation: { raisePriority: true, notifyClient: false },
    createdBy: { id: null, name: 'test' },
  });
  // Written behind the domain's back: this node must not keep what it read before (a job may
  // have asked for this tenant's contract already and cached "none").
  resetCaches();
}
