import type { Types } from 'mongoose';
import { Ticket } from '../../../models/ticket.js';
import { dueEvents, recorded, type SlaClock, type SlaEventDue } from './clock.js';
import { calendarOf, policyVersion } from './contract-store.js';
import { settleSlaDue, type DueRow } from './due-list.js';
import { eachLimit } from './each-limit.js';

/** What a sweep works on: the due tickets, read once, and what each one's contract asks for. */

/** Clock updates at once (each is conditional on its ticket's version). */
export const UPDATE_CONCURRENCY = 8;

export type DueTicket = {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  number: string;
  subject: string;
  priority: string;
  version: number;
  assignee?: { id?: Types.ObjectId | null; name?: string | null; email?: string | null } | null;
  requester?: { id?: Types.ObjectId | null; name?: string | null; email?: string | null } | null;
  sla: SlaClock;
};

/** One due ticket: what happened, its clock with those events marked, and what its contract asks for. */
export interface Plan {
  ticket: DueTicket;
  happened: SlaEventDue[];
  sla: SlaClock;
  raisePriority: boolean;
  notifyClient: boolean;
}

/** One event of one planned ticket. */
export type Occurrence = { plan: Plan; event: SlaEventDue };

export const eventKey = (ticket: DueTicket, event: SlaEventDue): string =>
  `sla:${String(ticket._id)}:${event.target}:${event.kind}:${event.threshold}`;
export const unique = <T>(values: T[]): T[] => [...new Set(values)];

/**
 * The tickets of the due rows whose next event is due now, each read by _id (the one filter the
 * engine answers from an index). Early rows (the event moved later or went away, or the ticket is
 * gone) move to the truth.
 */
export async function readDueTickets(rows: DueRow[], now: Date): Promise<DueTicket[]> {
  const read = (await Ticket.find({ _id: { $in: rows.map((row) => row._id) } })
    .setOptions({ allTenants: true })
    .select({
      number: 1,
      tenantId: 1,
      subject: 1,
      priority: 1,
      version: 1,
      assignee: 1,
      requester: 1,
      sla: 1,
    })
    .lean()) as unknown as DueTicket[];
  const due = read.filter((t) => t.sla?.nextEventAt && t.sla.nextEventAt.getTime() <= now.getTime());
  const dueIds = new Set(due.map((t) => String(t._id)));
  const readIds = new Map(read.map((t) => [String(t._id), t]));
  await eachLimit(
    rows.filter((row) => !dueIds.has(String(row._id))),
    UPDATE_CONCURRENCY,
    (row) => settleSlaDue(row, readIds.get(String(row._id))?.sla?.nextEventAt ?? null),
  );
  return due;
}

/**
 * Each due ticket's events and its clock with them marked, under its contract: one look-up per
 * tenant and policy version (both cached across sweeps, contract-store.ts). A ticket whose tenant
 * has no calendar is left out.
 */
export async function planTickets(due: DueTicket[], now: Date): Promise<Plan[]> {
  const tenantIds = unique(due.map((t) => String(t.tenantId)));
  const calendars = new Map(
    await Promise.all(tenantIds.map(async (id) => [id, await calendarOf(id)] as const)),
  );
  const versionKeys = unique(due.map((t) => `${String(t.tenantId)}:${t.sla.policyVersion}`));
  const policies = new Map(
    await Promise.all(
      versionKeys.map(async (key) => {
        const [id, version] = key.split(':') as [string, string];
        return [key, await policyVersion(id, Number(version))] as const;
      }),
    ),
  );
  const plans: Plan[] = [];
  for (const ticket of due) {
    const calendar = calendars.get(String(ticket.tenantId));
    if (!calendar) continue;
    const policy = policies.get(`${String(ticket.tenantId)}:${ticket.sla.policyVersion}`);
    const happened = dueEvents(calendar, ticket.sla, now);
    plans.push({
      ticket,
      happened,
      sla: recorded(calendar, ticket.sla, happened),
      raisePriority: policy?.escalation?.raisePriority === true,
      notifyClient: policy?.escalation?.notifyClient === true,
    });
  }
  return plans;
}
