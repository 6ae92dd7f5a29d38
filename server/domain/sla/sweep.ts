import type { Types } from 'mongoose';
import { priorities, priorityRank, Ticket, type Priority } from '../../../models/ticket.js';
import { SlaEvent } from '../../../models/sla-event.js';
import { Tenant } from '../../../models/tenant.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { User } from '../../../models/user.js';
import { isLocale, t, type Locale } from '../../i18n/i18n.js';
import { scopedCollection } from '../../db/scoped-collection.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { ensureMailQueued } from '../mail/ensure-queued.js';
import type { OutboxInput } from '../mail/outbox.js';
import { linkUrl } from '../settings.js';
import { authorOf } from '../tickets/authors.js';
import { threadId } from '../tickets/notify.js';
import { dueEvents, nextDeadline, recorded, stateOf, type SlaClock, type SlaEventDue } from './clock.js';
import { calendarOf, policyVersion } from './contract-store.js';
import { dueRows, settleSlaDue } from './due-list.js';
import { NO_DEADLINE } from './ticket-clock.js';

export const SWEEP_BATCH = 500;
/** Mails queued at once (each is decided by unique indexes, so their order does not matter). */
const MAIL_CONCURRENCY = 8;
/** Clock updates at once (each is conditional on its ticket's version). */
const UPDATE_CONCURRENCY = 8;

type DueTicket = {
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
interface Plan {
  ticket: DueTicket;
  happened: SlaEventDue[];
  sla: SlaClock;
  raisePriority: boolean;
  notifyClient: boolean;
}

type Recipient = { email: string; name: string; locale: Locale; audience: 'staff' | 'client' };

const eventKey = (ticket: DueTicket, event: SlaEventDue): string =>
  `sla:${String(ticket._id)}:${event.target}:${event.kind}:${event.threshold}`;
const localeOf = (value: unknown): Locale => (isLocale(value) ? value : 'en');
const unique = <T>(values: T[]): T[] => [...new Set(values)];

/** `fn` over `items`, at most `limit` at a time; the first error is thrown once all started calls ended. */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++] as T;
      await fn(item).catch((err: unknown) => {
        failure ??= { err };
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { err: unknown }).err;
}

/**
 * Insert every document whose unique key is free, in one unordered insertMany; returns the
 * indexes of the documents inserted. A duplicate key is a row that exists already (an earlier
 * sweep, or another worker): not an error. Any other error throws.
 */
async function insertFresh(
  collection: { insertMany(docs: object[], options: { ordered: false }): Promise<unknown> },
  docs: object[],
): Promise<Set<number>> {
  const fresh = new Set(docs.keys());
  if (!docs.length) return fresh;
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (err) {
    const raw = (err as { writeErrors?: unknown } | null)?.writeErrors;
    const errors = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Array<{ index?: number; code?: number }>;
    if (!errors.length || errors.some((e) => e.code !== 11000 || typeof e.index !== 'number')) throw err;
    for (const e of errors) fresh.delete(e.index as number);
  }
  return fresh;
}

/**
 * Who hears of each event: the assignee always (if active staff); on a breach the team leads
 * serving the tenant, and the client if the contract says so. One read of the assignees, one of
 * the leads and one of the tenants per sweep, instead of two or three per event.
 */
async function audience(plans: Plan[]): Promise<(plan: Plan, event: SlaEventDue) => Recipient[]> {
  const withBreach = plans.filter((p) => p.happened.some((e) => e.kind === 'breach'));
  const assigneeIds = unique(
    plans
      .filter((p) => p.ticket.assignee?.email && p.ticket.assignee.id)
      .map((p) => String(p.ticket.assignee?.id)),
  );
  const leadTenants = unique(withBreach.map((p) => String(p.ticket.tenantId)));
  const clientTenants = unique(
    withBreach
      .filter((p) => p.notifyClient && p.ticket.requester?.email)
      .map((p) => String(p.ticket.tenantId)),
  );
  // By _id alone (the one filter the engine answers from an index); staff are the rows without a tenant.
  const [assignees, leads, tenants] = await Promise.all([
    assigneeIds.length
      ? User.find({ _id: { $in: assigneeIds } })
          .setOptions({ allTenants: true })
          .lean()
      : [],
    leadTenants.length
      ? User.find({
          tenantId: null,
          role: 'team_lead',
          status: 'active',
          tenantIds: { $in: leadTenants },
        }).lean()
      : [],
    clientTenants.length ? Tenant.find({ _id: { $in: clientTenants } }).lean() : [],
  ]);
  const staffById = new Map(assignees.filter((u) => u.tenantId == null).map((u) => [String(u._id), u]));
  const leadsOf = new Map(
    leadTenants.map((id) => [id, leads.filter((l) => l.tenantIds.some((t) => String(t) === id))]),
  );
  const tenantLocale = new Map(tenants.map((tn) => [String(tn._id), localeOf(tn.locale)]));
  return (plan, event) => {
    const out: Recipient[] = [];
    const { ticket } = plan;
    if (ticket.assignee?.email) {
      const user = staffById.get(String(ticket.assignee.id));
      if (user?.status === 'active')
        out.push({ email: user.email, name: user.name, locale: localeOf(user.locale), audience: 'staff' });
    }
    if (event.kind === 'breach') {
      for (const lead of leadsOf.get(String(ticket.tenantId)) ?? [])
        out.push({ email: lead.email, name: lead.name, locale: localeOf(lead.locale), audience: 'staff' });
      if (plan.notifyClient && ticket.requester?.email) {
        out.push({
          email: ticket.requester.email,
          name: ticket.requester.name ?? '',
          locale: tenantLocale.get(String(ticket.tenantId)) ?? 'en',
          audience: 'client',
        });
      }
    }
    return out;
  };
}

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
  // The due list names the tickets to look at (a scan of open work only, not of every ticket);
  // each is then read by _id, the one filter the engine answers from an index.
  const rows = await dueRows(now, limit);
  if (!rows.length) return { tickets: 0, events: 0 };
  const rowOf = new Map(rows.map((row) => [String(row._id), row]));
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
  // Early rows (the event moved later or went away, or the ticket is gone) move to the truth.
  const dueIds = new Set(due.map((t) => String(t._id)));
  const readIds = new Map(read.map((t) => [String(t._id), t]));
  await eachLimit(
    rows.filter((row) => !dueIds.has(String(row._id))),
    UPDATE_CONCURRENCY,
    (row) => settleSlaDue(row, readIds.get(String(row._id))?.sla?.nextEventAt ?? null),
  );
  if (!due.length) return { tickets: rows.length, events: 0 };

  // Contracts: one look-up per tenant and policy version (both cached across sweeps, contract-store.ts).
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
  const occurred = plans.flatMap((plan) => plan.happened.map((event) => ({ plan, event })));

  // 1. The events: the unique index on (ticket, target, kind, threshold) records each once.
  const recordedAt = new Date();
  const events = occurred.map(
    ({ plan: { ticket }, event }) =>
      new SlaEvent({
        tenantId: ticket.tenantId,
        ticketId: ticket._id,
        number: ticket.number,
        target: event.target,
        kind: event.kind,
        threshold: event.threshold,
        dueAt: event.at,
        recordedAt,
        recordedBy: ctx.requestId,
      }),
  );
  await Promise.all(events.map((doc) => doc.validate()));
  const freshEvents = await insertFresh(
    scopedCollection(SlaEvent),
    events.map((doc) => doc.toObject()),
  );

  // 2. One internal timeline entry per event, keyed by the event (unique).
  const author = authorOf(ctx);
  const entries = occurred.map(
    ({ plan: { ticket }, event }) =>
      new TimelineEntry({
        key: eventKey(ticket, event),
        tenantId: ticket.tenantId,
        ticketId: ticket._id,
        at: event.at,
        kind: 'sla',
        visibility: 'internal',
        author: { id: author.id, name: author.name, kind: author.kind },
        body: '',
        data: { target: event.target, kind: event.kind, threshold: event.threshold, dueAt: event.at },
        attachmentIds: [],
      }),
  );
  await Promise.all(entries.map((doc) => doc.validate()));
  await insertFresh(
    scopedCollection(TimelineEntry),
    entries.map((doc) => doc.toObject()),
  );

  // 3. Mail, one key per (event, recipient): the outbox queues each key once, ever. A key taken
  //    by a worker that died before inserting its row is queued again once it is surely orphaned;
  //    until then the ticket's clock stays unmarked, so a later sweep asks again.
  const recipientsOf = await audience(plans);
  const mails: Array<{ ticket: DueTicket; mail: OutboxInput }> = occurred.flatMap(({ plan, event }) => {
    const { ticket } = plan;
    const key = eventKey(ticket, event);
    return recipientsOf(plan, event).map((r) => ({
      ticket,
      mail: {
        key: `${key}:${r.email}`,
        tenantId: String(ticket.tenantId),
        to: r.email,
        locale: r.locale,
        template: event.kind === 'breach' ? ('sla_breach' as const) : ('sla_warning' as const),
        params: {
          name: r.name,
          number: ticket.number,
          subject: ticket.subject,
          target: t(r.locale, `sla_targets.${event.target}`),
          threshold: String(event.threshold),
          link: linkUrl(`/tickets/${ticket.number}`),
        },
        headers: { References: threadId(ticket._id), 'X-Ticket': ticket.number },
      },
    }));
  });
  const unsettled = new Set<DueTicket>();
  await eachLimit(mails, MAIL_CONCURRENCY, async ({ ticket, mail }) => {
    if ((await ensureMailQueued(ctx, mail)) !== 'queued') unsettled.add(ticket);
  });

  // 4. Each clock, last: marked together with the breach's one-step priority raise, in one
  //    update conditional on the version read. Once it is in, the events are never due again,
  //    so the raise happens exactly once; a ticket changed meanwhile has recomputed its clock,
  //    and the next sweep records what is left (its events and mails exist already).
  const settled = plans.filter((plan) => !unsettled.has(plan.ticket));
  await eachLimit(settled, UPDATE_CONCURRENCY, async ({ ticket, happened, sla, raisePriority }) => {
    const $set: Record<string, unknown> = { sla, dueSortAt: nextDeadline(sla) ?? NO_DEADLINE };
    if (raisePriority && happened.some((e) => e.kind === 'breach')) {
      const i = priorities.indexOf(ticket.priority as Priority);
      const raised = priorities[Math.min(i + 1, priorities.length - 1)] as Priority;
      if (raised !== ticket.priority)
        Object.assign($set, { priority: raised, priorityRank: priorityRank[raised] });
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
    const row = rowOf.get(String(ticket._id));
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
  });
  return { tickets: rows.length, events: freshEvents.size };
}
