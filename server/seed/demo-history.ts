import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { InvoiceKey } from '../../models/invoice-key.js';
import { SlaEvent } from '../../models/sla-event.js';
import { Ticket, type Channel, type Priority, type TicketType } from '../../models/ticket.js';
import { TimelineEntry } from '../../models/timeline-entry.js';
import { User } from '../../models/user.js';
import type { Ctx } from '../domain/context.js';
import {
  addBusinessSeconds,
  businessSecondsBetween,
  isOpenAt,
  type BusinessCalendar,
} from '../domain/sla/business-time.js';
import { startClock } from '../domain/sla/clock.js';
import { calendarOf, currentPolicy, targetFor, type Targets } from '../domain/sla/contract-store.js';
import { invoiceKeyOf } from '../domain/tickets/invoice-keys.js';
import { nextTicketNumber } from '../domain/tickets/numbering.js';
import { fieldSchemas } from '../domain/tickets/schemas.js';
import { searchTextOf } from '../domain/tickets/search-text.js';
import { historyTexts, type HistoryTexts } from './demo-history-texts.js';
import { TicketReplay, type Person, type Step } from './demo-history-replay.js';

/**
 * A few months of past work for each demo client, so the SLA reports, the operator view and the
 * statements have figures on first start: tickets of the previous two calendar months and of this
 * month so far, most resolved by the demo operators, some late, some still open.
 *
 * Each ticket is drawn from a seeded generator (the same history for the same day) and replayed
 * through the portal's own rules (demo-history-replay.ts): its SLA clock comes from the tenant's
 * calendar and policy through server/domain/sla, with the warnings and breaches the sweep would
 * have recorded already recorded, so the first sweep has nothing old to mail about. Everything is
 * written with one insertMany per collection; no mail is queued. The caller seeds a tenant's
 * history only when it seeds its first tickets (demo.ts), so a second seed adds nothing.
 */

interface Profile {
  tickets: number;
  /** Share of first responses, and of resolutions, that run late, per month (oldest first). */
  lateReply: [number, number, number];
  lateResolution: [number, number, number];
}

// Acme improves month by month; Nordhavn had a bad last month (the portfolio shows both).
const profiles: Record<string, Profile> = {
  acme: { tickets: 115, lateReply: [0.1, 0.02, 0.03], lateResolution: [0.07, 0.01, 0.02] },
  nordhavn: { tickets: 80, lateReply: [0.06, 0.12, 0.07], lateResolution: [0.08, 0.14, 0.08] },
};

const HOUR = 3_600;
const DAY_MS = 86_400_000;

/** mulberry32 seeded with an FNV-1a hash: small, fast and the same on every machine. */
class Dice {
  private state: number;
  constructor(seed: string) {
    let h = 2_166_136_261;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16_777_619);
    this.state = h >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
  int(min: number, max: number): number {
    return Math.floor(this.between(min, max + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  weighted<K extends string>(weights: Partial<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    let r = this.next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, w] of entries) if ((r -= w) < 0) return key;
    return (entries[entries.length - 1] as [K, number])[0];
  }
}

const typeWeights: Record<TicketType, number> = { data_entry: 35, complaint: 28, invoice: 37 };
const priorityWeights: Record<Priority, number> = { low: 15, normal: 55, high: 22, urgent: 8 };
// Imports are data-entry batches (the CSV importer); mail most often brings complaints.
const channelWeights: Record<TicketType, Partial<Record<Channel, number>>> = {
  data_entry: { portal: 45, import: 35, api: 10, email: 10 },
  complaint: { portal: 45, email: 40, api: 15 },
  invoice: { portal: 35, api: 35, email: 30 },
};
const severityOf: Record<Priority, Array<'low' | 'medium' | 'high' | 'critical'>> = {
  low: ['low'],
  normal: ['medium', 'low'],
  high: ['high', 'medium'],
  urgent: ['critical', 'high'],
};

interface Cast {
  /** Client users (may be none); the client admin also stands behind the API token. */
  users: Person[];
  admin: Person;
  operators: Person[];
  lead: Person;
}

interface Draft {
  created: Date;
  type: TicketType;
  priority: Priority;
  channel: Channel;
  requester: Person;
  subject: string;
  description: string;
  tags: string[];
  fields: Record<string, unknown>;
  steps: Step[];
}

interface World {
  dice: Dice;
  calendar: BusinessCalendar;
  texts: HistoryTexts;
  cast: Cast;
  targets: (type: TicketType, priority: Priority) => Targets;
  profile: Profile;
  /** Local start of today: what happens is drawn per day, so a day's seeds draw the same tickets. */
  today: Date;
  /** Local starts of the window's three months; tickets are drawn until the end of today, those after now dropped. */
  months: [Date, Date, Date];
  until: Date;
  invoiceKeys: Set<string>;
  /** Per month, how far each share of late ones is along (see `isLate`). */
  lateness: Record<'reply' | 'resolution', [number, number, number]>;
}

const fill = (text: string, values: Record<string, string | number>): string =>
  text.replace(/\{(\w+)\}/g, (all, key: string) => (key in values ? String(values[key]) : all));
const addBiz = (w: World, from: Date, seconds: number): Date =>
  addBusinessSeconds(w.calendar, from, Math.max(0, Math.round(seconds)));
/** `at`, or just after `prev` when it is not later: steps stay in order. */
const after = (prev: Date, at: Date): Date => (at > prev ? at : new Date(prev.getTime() + 60_000));

/**
 * Whether this one runs late: the month's share of late ones spread evenly over its tickets
 * (an accumulator from a random start), so a month of 30 tickets shows its share, not luck's.
 */
function isLate(w: World, kind: 'reply' | 'resolution', month: 0 | 1 | 2): boolean {
  const acc = w.lateness[kind];
  acc[month] += (kind === 'reply' ? w.profile.lateReply : w.profile.lateResolution)[month];
  if (acc[month] < 1) return false;
  acc[month] -= 1;
  return true;
}

/** A creation instant: portal tickets in business hours, the other channels mostly too. */
function creationTime(w: World): Date {
  const from = w.months[0].getTime();
  const to = w.until.getTime();
  let at = new Date(from);
  for (let i = 0; i < 30; i++) {
    at = new Date(Math.floor(w.dice.between(from, to) / 60_000) * 60_000);
    if (isOpenAt(w.calendar, at)) break;
  }
  return at;
}

/** Type-specific fields as a client would have entered them, and what staff record on resolving. */
// Long function: demo data: texts per ticket type.
function contentOf(
  w: World,
  type: TicketType,
  priority: Priority,
  channel: Channel,
  created: Date,
): Pick<Draft, 'subject' | 'description' | 'fields'> & {
  done: Record<string, unknown>;
  progress?: Record<string, unknown>;
} {
  const { dice, texts } = w;
  const local = DateTime.fromJSDate(created, { zone: w.calendar.timeZone }).setLocale(texts.locale);
  if (type === 'invoice') {
    const supplier = dice.pick(texts.suppliers);
    let invoiceNumber = '';
    // Formats the demo tickets (demo-tickets.ts) do not use: no key collides with theirs.
    do {
      invoiceNumber =
        supplier.currency === 'EUR' && texts.locale === 'it'
          ? `${dice.int(1000, 9999)}/${local.toFormat('yy')}`
          : String(dice.int(100_000, 999_999));
    } while (w.invoiceKeys.has(`${supplier.vat}|${invoiceNumber}`));
    w.invoiceKeys.add(`${supplier.vat}|${invoiceNumber}`);
    const issue = local.minus({ days: dice.int(1, 15) });
    const fields = fieldSchemas.invoice.parse({
      supplierName: supplier.name,
      supplierVat: supplier.vat,
      invoiceNumber,
      issueDate: issue.toISODate(),
      dueDate: issue.plus({ days: 30 }).toISODate(),
      amount: Math.round(dice.between(supplier.min, supplier.max) * 100) / 100,
      currency: supplier.currency,
      poNumber: dice.chance(0.6) ? `PO-${dice.int(7000, 7999)}` : undefined,
    });
    const outcome = dice.weighted({ approved: 75, rejected: 10, on_hold: 10, none: 5 });
    const done: Record<string, unknown> =
      outcome === 'none'
        ? {}
        : outcome === 'approved'
          ? { approvalOutcome: outcome }
          : { approvalOutcome: outcome, approvalReason: dice.pick(texts.reasons[outcome]) };
    return {
      subject: fill(texts.invoiceSubject, { supplier: supplier.short, n: invoiceNumber }),
      description: dice.pick(texts.invoiceDescriptions),
      fields,
      done,
    };
  }
  if (type === 'data_entry') {
    const batch = dice.pick(texts.batches);
    const n = dice.int(...batch.records);
    const values = { n, week: local.weekNumber, month: local.toFormat('LLLL') };
    const fields = fieldSchemas.data_entry.parse({
      batchDescription: fill(batch.batch, values),
      targetSystem: batch.system,
      expectedRecordCount: n,
      recordsCompleted: 0,
      errorCount: 0,
    });
    const missing = dice.chance(0.15) ? dice.int(1, Math.max(1, Math.round(n * 0.04))) : 0;
    return {
      subject: fill(batch.subject, values),
      description: fill(batch.batch, values),
      fields,
      progress: { recordsCompleted: Math.round(n * dice.between(0.2, 0.7)) },
      done: { recordsCompleted: n - missing, errorCount: dice.int(0, Math.max(1, Math.round(n * 0.02))) },
    };
  }
  const customer = dice.pick(texts.customers);
  const complaint = dice.pick(texts.complaints);
  const values = { customer: customer.name, n: dice.int(2, 6) };
  const fields = fieldSchemas.complaint.parse({
    customerName: customer.name,
    customerReference: customer.reference,
    channel: channel === 'email' ? 'mail' : dice.pick(['phone', 'mail', 'web', 'social'] as const),
    category: complaint.category,
    severity: dice.pick(severityOf[priority]),
    requestedRemedy: dice.chance(0.7) ? complaint.remedy : undefined,
  });
  return {
    subject: fill(complaint.subject, values),
    description: fill(complaint.description, values),
    fields,
    done: { outcome: complaint.outcome },
  };
}

/** One past ticket: what the client opened and everything staff and client did to it since. */
// Long function: demo data: one ticket's story written out step by step.
function draftTicket(w: World): Draft {
  const { dice, texts, cast } = w;
  const created = creationTime(w);
  const month = created >= w.months[2] ? 2 : created >= w.months[1] ? 1 : 0;
  const type = dice.weighted(typeWeights);
  const priority = dice.weighted(priorityWeights);
  const channel = dice.weighted(channelWeights[type]);
  const requester =
    channel === 'api' || !cast.users.length || dice.chance(0.25) ? cast.admin : dice.pick(cast.users);
  const content = contentOf(w, type, priority, channel, created);
  const tags = dice.chance(0.3) ? [dice.pick(texts.tags[type])] : [];
  const { firstResponseSeconds: fr, resolutionSeconds: res } = w.targets(type, priority);

  const steps: Step[] = [];
  let last = created;
  const step = (s: Step): void => {
    s.at = after(last, s.at);
    last = s.at;
    steps.push(s);
  };

  // Who works it: an operator who takes it (a team lead assigns one in a fifth of the cases), or
  // now and then nobody, the team lead answering and resolving it straight from the queue.
  const unassigned = dice.chance(0.02);
  const assignee = unassigned
    ? null
    : dice.weighted({ operator: 6, lead: 1 }) === 'lead'
      ? cast.lead
      : dice.pick(cast.operators);
  const worker = assignee ?? cast.lead;
  const replyFraction = isLate(w, 'reply', month) ? dice.between(1.1, 2.5) : dice.between(0.08, 0.9);
  const replyAt = addBiz(w, created, fr * replyFraction);
  if (assignee) {
    const by = assignee !== cast.lead && dice.chance(0.2) ? cast.lead : assignee;
    step({
      kind: 'assign',
      at: addBiz(w, created, fr * replyFraction * dice.between(0.15, 0.7)),
      by,
      to: assignee,
    });
  }
  step({ kind: 'reply', at: replyAt, by: worker, body: dice.pick(texts.firstReplies) });
  if (content.progress && dice.chance(0.4)) {
    step({
      kind: 'fields',
      at: addBiz(w, last, res * dice.between(0.05, 0.2)),
      by: worker,
      fields: content.progress,
    });
  }

  // Some are still in the works, waiting on the client or simply long: many of the last days'
  // (the backlog's ageing); of the older ones only a rare one whose client never answered.
  const [roll, kind] = [dice.next(), dice.pick(['waiting', 'hard'] as const)];
  const age = w.today.getTime() - created.getTime();
  const stuck =
    age <= 0 ? null : age < 9 * DAY_MS ? (roll < 0.25 ? kind : null) : roll < 0.015 ? 'waiting' : null;
  const waits = stuck === 'waiting' || dice.chance(0.22);
  let pendingAt: Date | null = null;
  if (waits) {
    const at = addBiz(w, last, res * dice.between(0.05, 0.3));
    step({ kind: 'reply', at, by: worker, body: dice.pick(texts.questions) });
    step({ kind: 'status', at: new Date(at.getTime() + 30_000), by: worker, to: 'pending' });
    pendingAt = last;
    if (stuck === 'waiting') return { created, type, priority, channel, requester, tags, ...content, steps };
    step({
      kind: 'reply',
      at: addBiz(w, last, dice.between(0.5, 14) * HOUR),
      by: requester,
      body: dice.pick(texts.answers),
    });
  }
  if (stuck === 'hard') return { created, type, priority, channel, requester, tags, ...content, steps };

  // Resolution: business time on the clock (waiting on the client not counted) as a share of the target.
  const share = isLate(w, 'resolution', month) ? dice.between(1.05, 1.9) : dice.between(0.25, 0.92);
  const active = pendingAt ? businessSecondsBetween(w.calendar, created, pendingAt) : 0;
  let resolvedAt = pendingAt
    ? addBiz(w, last, Math.max(res * share - active, 900))
    : addBiz(w, created, res * share);
  if (resolvedAt <= last) resolvedAt = addBiz(w, last, dice.between(600, HOUR));
  const resolver = assignee && assignee !== cast.lead && dice.chance(0.15) ? cast.lead : worker;
  step({ kind: 'fields', at: new Date(resolvedAt.getTime() - 120_000), by: resolver, fields: content.done });
  if (dice.chance(0.5))
    step({
      kind: 'reply',
      at: new Date(resolvedAt.getTime() - 60_000),
      by: resolver,
      body: dice.pick(texts.resolutions),
    });
  step({ kind: 'status', at: resolvedAt, by: resolver, to: 'resolved' });

  if (dice.chance(0.05)) {
    // The client reopens it; staff resolve it again within hours.
    step({
      kind: 'status',
      at: new Date(last.getTime() + dice.between(4, 48) * HOUR * 1000),
      by: requester,
      to: 'open',
    });
    step({
      kind: 'reply',
      at: new Date(last.getTime() + 60_000),
      by: requester,
      body: dice.pick(texts.reopenings),
    });
    step({
      kind: 'reply',
      at: addBiz(w, last, dice.between(0.5, 3) * HOUR),
      by: worker,
      body: dice.pick(texts.resolutions),
    });
    step({ kind: 'status', at: new Date(last.getTime() + 60_000), by: worker, to: 'resolved' });
  }
  if (dice.chance(0.45)) {
    step({
      kind: 'status',
      at: new Date(last.getTime() + dice.between(1, 6) * DAY_MS),
      by: dice.chance(0.6) ? requester : worker,
      to: 'closed',
    });
  }
  return { created, type, priority, channel, requester, tags, ...content, steps };
}

async function castOf(tenantId: Types.ObjectId): Promise<Cast | null> {
  const person = (u: { _id: Types.ObjectId; name: string; email: string; tenantId?: unknown }): Person => ({
    id: u._id,
    name: u.name,
    email: u.email,
    staff: u.tenantId == null,
  });
  const [clients, staff] = await Promise.all([
    User.find({ tenantId, status: 'active', role: { $in: ['client_user', 'client_admin'] } })
      .sort({ email: 1 })
      .lean(),
    User.find({
      tenantId: null,
      status: 'active',
      role: { $in: ['operator', 'team_lead'] },
      tenantIds: tenantId,
    })
      .sort({ email: 1 })
      .lean(),
  ]);
  const admin = clients.find((u) => u.role === 'client_admin');
  const lead = staff.find((u) => u.role === 'team_lead');
  const operators = staff.filter((u) => u.role === 'operator');
  if (!admin || !lead || !operators.length) return null;
  return {
    users: clients.filter((u) => u.role === 'client_user').map(person),
    admin: person(admin),
    operators: operators.map(person),
    lead: person(lead),
  };
}

/**
 * Seed one demo tenant's history up to `now`; returns the number of tickets written (0 when not
 * a demo tenant or without a contract).
 */
// Long function: demo data: the history's days in one readable sequence.
export async function seedDemoHistory(
  ctx: Ctx,
  tenant: { _id: Types.ObjectId; code: string },
  now = new Date(),
): Promise<number> {
  const profile = profiles[tenant.code];
  const texts = historyTexts[tenant.code];
  const tenantId = tenant._id;
  const started = Date.now();
  const [calendar, policy, cast] = await Promise.all([
    calendarOf(String(tenantId)),
    currentPolicy(String(tenantId)),
    castOf(tenantId),
  ]);
  if (!profile || !texts || !calendar || !policy || !cast) return 0;
  const today = DateTime.fromJSDate(now, { zone: calendar.timeZone }).startOf('day');
  const start = today.startOf('month').minus({ months: 2 });
  const dice = new Dice(`demo-history:${tenant.code}:${today.toISODate()}`);
  const phase = (): [number, number, number] => [dice.next(), dice.next(), dice.next()];
  const world: World = {
    dice,
    calendar,
    texts,
    cast,
    targets: (type, priority) =>
      targetFor(policy, type, priority) ?? { firstResponseSeconds: 4 * HOUR, resolutionSeconds: 24 * HOUR },
    profile,
    today: today.toJSDate(),
    months: [start.toJSDate(), start.plus({ months: 1 }).toJSDate(), start.plus({ months: 2 }).toJSDate()],
    until: today.plus({ days: 1 }).toJSDate(),
    invoiceKeys: new Set(),
    lateness: { reply: phase(), resolution: phase() },
  };
  // Today's tickets not yet opened (and the last minutes') are left out.
  const opened = now.getTime() - 10 * 60_000;
  const drafts = Array.from({ length: profile.tickets }, () => draftTicket(world))
    .filter((d) => d.created.getTime() <= opened)
    .sort((a, b) => a.created.getTime() - b.created.getTime());
  // Numbers from the tenant's counter, oldest ticket first: later tickets continue after them.
  const numbers = await Promise.all(drafts.map(() => nextTicketNumber(String(tenantId), tenant.code)));
  const raisePriority = policy.escalation?.raisePriority === true;
  const warnAt = policy.warnAt ?? [75, 90];

  const tickets: object[] = [];
  const entries: object[] = [];
  const events: object[] = [];
  const keys: object[] = [];
  drafts.forEach((d, i) => {
    const { seq, number } = numbers[i] as { seq: number; number: string };
    const clock = startClock(calendar, world.targets(d.type, d.priority), policy.version, warnAt, d.created);
    const created = { at: d.created, by: d.requester, channel: d.channel, description: d.description };
    const t = new TicketReplay(calendar, raisePriority, d.priority, clock, d.fields, created).replay(
      d.steps,
      now,
    );
    const requester = { id: d.requester.id, name: d.requester.name, email: d.requester.email };
    const doc = new Ticket({
      _id: t.id,
      tenantId,
      number,
      seq,
      type: d.type,
      subject: d.subject,
      description: d.description,
      priority: t.priority,
      priorityRank: t.priorityRank,
      status: t.status,
      channel: d.channel,
      requester,
      assignee: t.assignee ? { id: t.assignee.id, name: t.assignee.name, email: t.assignee.email } : null,
      assignedAt: t.stamps.assignedAt ?? null,
      sla: t.clock,
      dueSortAt: t.dueSortAt,
      tags: d.tags,
      fields: t.fields,
      duplicateOf: null,
      searchText: searchTextOf({ number, subject: d.subject, requester, type: d.type, fields: t.fields }),
      version: t.version,
      firstResponseAt: t.stamps.firstResponseAt ?? null,
      openedAt: t.stamps.openedAt ?? null,
      pendingAt: t.stamps.pendingAt ?? null,
      resolvedAt: t.stamps.resolvedAt ?? null,
      closedAt: t.stamps.closedAt ?? null,
      reopenedAt: t.stamps.reopenedAt ?? null,
      lastActivityAt: t.lastActivityAt,
      createdAt: d.created,
      updatedAt: t.updatedAt,
    });
    tickets.push(doc);
    for (const e of t.entries) entries.push(new TimelineEntry({ ...e, tenantId, ticketId: t.id }));
    for (const e of t.events)
      events.push(new SlaEvent({ ...e, tenantId, ticketId: t.id, number, recordedBy: ctx.requestId }));
    const key = d.type === 'invoice' ? invoiceKeyOf(t.fields) : null;
    if (key) keys.push(new InvoiceKey({ tenantId, key, ticketId: t.id, number, createdAt: d.created }));
  });

  const write = async (
    model: { collection: { insertMany(docs: object[]): Promise<unknown> } },
    docs: object[],
  ) => {
    const rows = docs as Array<{ validate(): Promise<void>; toObject(): object }>;
    await Promise.all(rows.map((r) => r.validate()));
    if (rows.length) await model.collection.insertMany(rows.map((r) => r.toObject()));
  };
  await write(Ticket, tickets);
  await Promise.all([write(TimelineEntry, entries), write(SlaEvent, events), write(InvoiceKey, keys)]);
  ctx.log.info(
    {
      tenant: tenant.code,
      tickets: tickets.length,
      entries: entries.length,
      slaEvents: events.length,
      ms: Date.now() - started,
    },
    'demo history in place',
  );
  return tickets.length;
}
