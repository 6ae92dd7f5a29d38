import { Types } from 'mongoose';
import { SlaCalendar } from '../../models/sla-calendar.js';
import { Ticket } from '../../models/ticket.js';
import { resetCaches } from '../../server/domain/caches.js';

/**
 * A small SLA report fixture with hand-set clocks, for the PDF and chart tests: a 24x7 calendar
 * (business seconds = wall seconds) in Europe/Rome (UTC+1 in early March 2025), the period
 * 2025-03-03 .. 2025-03-17 (ISO weeks 10 and 11), the previous one 2025-02-17 .. 2025-03-03.
 *
 * | ticket | type, priority, channel     | first response (1 h)       | resolution (8 h)                        |
 * | A1     | data entry, normal, portal  | ✓ 1800 s                   | ✓ 14400 s, resolved                     |
 * | A2     | complaint, high, e-mail     | ✗ met 11:00, due 10:00 (+1 h) | ✓ 21600 s, resolved                  |
 * | A3     | invoice, urgent, API        | ✓ 1200 s                   | ✗ due 6 Mar 16:00, open: +10 d 8 h      |
 * | A4     | invoice, normal, portal     | ✓ 3000 s                   | ✗ met 19:00, due 17:00 (+2 h), resolved |
 * | P1     | data entry, normal (Feb)    | ✓ 900 s                    | ✓ 7200 s (previous period)              |
 *
 * Hand-computed for the period: first response 3/4 = 75 %, resolution 2/4 = 50 %, overall
 * 5/8 = 62.5 %; opened 4, resolved 3, open at the end 1 (A3, older than 7 days); first
 * response times 1200 1800 3000 7200 (median 2400 s = 40 min), resolution 14400 21600 36000
 * (median 21600 s = 6 h 00 min).
 */
export const REPORT_PERIOD = { from: '2025-03-03', to: '2025-03-17' } as const;
export const REPORT_QUERY = `from=${REPORT_PERIOD.from}&to=${REPORT_PERIOD.to}`;
/** A name on every fixture ticket that no report may show (client admins read them). */
export const FIXTURE_OPERATOR = 'Ottavio Operatore';

const H = 3600;
/** Local Rome time (UTC+1) on a day of March 2025 (or of `month`, 0-based) as an instant. */
export const romeAt = (day: number, hour: number, minute = 0, month = 2): Date =>
  new Date(Date.UTC(2025, month, day, hour - 1, minute));
const plus = (d: Date, seconds: number): Date => new Date(d.getTime() + seconds * 1000);

export interface Clock {
  dueAt?: Date;
  metAt?: Date;
  breached?: boolean;
}
/** One stored SLA target as the clock leaves it, on a 24x7 calendar (business = wall seconds). */
export function target(start: Date, seconds: number, c: Clock) {
  const dueAt = c.dueAt ?? plus(start, seconds);
  return {
    targetSeconds: seconds,
    dueAt,
    metAt: c.metAt ?? null,
    businessSeconds: c.metAt ? (c.metAt.getTime() - start.getTime()) / 1000 : null,
    breachedAt: c.breached ? dueAt : null,
    warned: [],
  };
}

interface Spec {
  key: string;
  type: 'data_entry' | 'complaint' | 'invoice';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  channel: 'portal' | 'api' | 'email' | 'import';
  createdAt: Date;
  resolvedAt?: Date;
  fr: Clock;
  res: Clock;
}

const specs: Spec[] = [
  {
    key: 'A1',
    type: 'data_entry',
    priority: 'normal',
    channel: 'portal',
    createdAt: romeAt(4, 10),
    resolvedAt: romeAt(4, 14),
    fr: { metAt: romeAt(4, 10, 30) },
    res: { metAt: romeAt(4, 14) },
  },
  {
    key: 'A2',
    type: 'complaint',
    priority: 'high',
    channel: 'email',
    createdAt: romeAt(5, 9),
    resolvedAt: romeAt(5, 15),
    fr: { metAt: romeAt(5, 11), breached: true },
    res: { metAt: romeAt(5, 15) },
  },
  {
    key: 'A3',
    type: 'invoice',
    priority: 'urgent',
    channel: 'api',
    createdAt: romeAt(6, 8),
    fr: { metAt: romeAt(6, 8, 20) },
    res: { breached: true },
  },
  {
    key: 'A4',
    type: 'invoice',
    priority: 'normal',
    channel: 'portal',
    createdAt: romeAt(11, 9),
    resolvedAt: romeAt(11, 19),
    fr: { metAt: romeAt(11, 9, 50) },
    res: { metAt: romeAt(11, 19) },
  },
  {
    key: 'P1',
    type: 'data_entry',
    priority: 'normal',
    channel: 'portal',
    createdAt: romeAt(20, 10, 0, 1),
    resolvedAt: romeAt(20, 12, 0, 1),
    fr: { metAt: romeAt(20, 10, 15, 1) },
    res: { metAt: romeAt(20, 12, 0, 1) },
  },
];

let seq = 0;
function ticketDoc(tenant: { _id: Types.ObjectId; code: string }, s: Spec) {
  seq++;
  return {
    tenantId: tenant._id,
    number: `${tenant.code.toUpperCase()}-${s.key}`,
    seq,
    type: s.type,
    subject: `Report fixture ${s.key}`,
    description: '',
    priority: s.priority,
    priorityRank: 2,
    status: s.resolvedAt ? 'resolved' : 'open',
    channel: s.channel,
    requester: { id: null, name: 'Client Person', email: 'client@example.test' },
    assignee: { id: new Types.ObjectId(), name: FIXTURE_OPERATOR, email: 'ottavio@example.test' },
    sla: {
      policyVersion: 1,
      startedAt: s.createdAt,
      warnAt: [],
      pausedSeconds: 0,
      pausedSince: null,
      pauses: 0,
      firstResponse: target(s.createdAt, 1 * H, s.fr),
      resolution: target(s.createdAt, 8 * H, s.res),
      nextEventAt: null,
    },
    tags: [],
    fields: {},
    searchText: '',
    version: 1,
    resolvedAt: s.resolvedAt ?? null,
    closedAt: null,
    reopenedAt: null,
    createdAt: s.createdAt,
    updatedAt: s.createdAt,
    lastActivityAt: s.createdAt,
  };
}

/** Always-open calendars for the tenants, and the fixture's tickets in `tenant`. */
export async function insertReportFixture(
  tenant: { _id: Types.ObjectId; code: string; timeZone: string },
  others: Array<{ _id: Types.ObjectId; timeZone: string }> = [],
): Promise<void> {
  for (const t of [tenant, ...others])
    await SlaCalendar.create({
      tenantId: t._id,
      name: 'Always',
      timeZone: t.timeZone,
      alwaysOpen: true,
      weekly: [],
      holidays: [],
      closures: [],
    });
  resetCaches();
  await Ticket.collection.insertMany(specs.map((s) => ticketDoc(tenant, s)));
}
