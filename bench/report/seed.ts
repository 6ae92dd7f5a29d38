/**
 * The data set of bench/report: tenants with their business calendars, and tickets as the SLA
 * clock leaves them once their story is over (targets with dueAt, metAt, businessSeconds and
 * breachedAt; resolved, closed, reopened; an open backlog with running, paused and breached
 * clocks), built as plain documents and inserted with the driver's insertMany in unordered
 * batches (going through mongoose documents would cost more than the engine does).
 *
 * The measured tenant gets `inPeriod` tickets created in the measured month, 0.9 x that many in
 * the month before (the report's previous period), 0.1 x per other month of the year and an open
 * backlog of 2 % created before the period end. The other tenants share the rest of `total`,
 * created over the whole year.
 */
import { DateTime } from 'luxon';
import type { Collection, Document } from 'mongodb';
import { Types } from 'mongoose';
import { SlaCalendar } from '../../models/sla-calendar.js';
import { Tenant } from '../../models/tenant.js';
import {
  channels,
  priorities,
  priorityRank,
  ticketTypes,
  type Priority,
  type TicketType,
} from '../../models/ticket.js';
import { addBusinessSeconds, type BusinessCalendar } from '../../server/domain/sla/business-time.js';
import { rng } from '../support/harness.js';

export const YEAR = 2025;
/** The measured month (1-12) of YEAR, in the measured tenant's time zone. */
export const MONTH = 11;
const PREVIOUS_SHARE = 0.9;
const OTHER_MONTH_SHARE = 0.1;
const BACKLOG_SHARE = 0.02;
const OTHER_TENANTS = 9;
const BATCH = 5000;

export interface BenchTenant {
  _id: Types.ObjectId;
  code: string;
  timeZone: string;
  calendar: BusinessCalendar;
}

function weighted<T>(items: readonly T[], weights: readonly number[], r: number): T {
  let acc = 0;
  for (const [i, w] of weights.entries()) {
    acc += w;
    if (r < acc) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

const HOLIDAYS: Record<string, string[]> = {
  'Europe/Rome': [
    '01-01',
    '01-06',
    '04-21',
    '04-25',
    '05-01',
    '06-02',
    '08-15',
    '11-01',
    '12-08',
    '12-25',
    '12-26',
  ],
  'Europe/Copenhagen': [
    '01-01',
    '04-17',
    '04-18',
    '04-21',
    '05-29',
    '06-05',
    '06-09',
    '12-24',
    '12-25',
    '12-26',
  ],
};

/** Office hours for most, 24x7 for every third other tenant; the measured one works 09-18 in Rome. */
function calendarFor(i: number, timeZone: string): BusinessCalendar {
  if (i > 0 && i % 3 === 0) return { timeZone, alwaysOpen: true, weekly: [], holidays: [], closures: [] };
  const [from, to] = timeZone === 'Europe/Rome' ? ['09:00', '18:00'] : ['08:00', '16:00'];
  const holidays = (HOLIDAYS[timeZone] ?? []).flatMap((d) => [`${YEAR}-${d}`, `${YEAR + 1}-${d}`]);
  return {
    timeZone,
    alwaysOpen: false,
    weekly: ([1, 2, 3, 4, 5] as const).map((day) => ({ day, from, to })),
    holidays,
    closures: [],
  };
}

export async function createTenants(): Promise<BenchTenant[]> {
  const tenants: BenchTenant[] = [];
  for (let i = 0; i <= OTHER_TENANTS; i++) {
    const timeZone = i % 2 ? 'Europe/Copenhagen' : 'Europe/Rome';
    const tenant = await Tenant.create({
      code: `client${String(i).padStart(2, '0')}`,
      legalName: `Client ${i} S.p.A.`,
      timeZone,
      locale: i % 2 ? 'da' : 'it',
    });
    const calendar = calendarFor(i, timeZone);
    await SlaCalendar.create({
      tenantId: tenant._id,
      name: calendar.alwaysOpen ? 'Always' : 'Office hours',
      timeZone,
      alwaysOpen: calendar.alwaysOpen,
      weekly: calendar.weekly,
      holidays: calendar.holidays.map((date) => ({ date, name: 'Holiday' })),
      closures: [],
    });
    tenants.push({ _id: tenant._id, code: tenant.code, timeZone, calendar });
  }
  return tenants;
}

/** Targets in minutes per priority (first response, resolution); invoices get 1.5x. */
const TARGET_MINUTES: Record<Priority, [number, number]> = {
  urgent: [30, 240],
  high: [60, 480],
  normal: [240, 1440],
  low: [480, 2880],
};
const OPERATORS = ['Marco Bianchi', 'Sara Rossi', 'Jens Holm', 'Giulia Conti', 'Mette Lund', 'Paolo Neri'];
const DAY = 86_400_000;

function ticketDoc(
  tenant: BenchTenant,
  seq: number,
  createdMs: number,
  random: () => number,
  open: boolean,
  nowMs: number,
): Document {
  const cal = tenant.calendar;
  const type = weighted<TicketType>(ticketTypes, [0.4, 0.35, 0.25], random());
  const priority = weighted<Priority>(priorities, [0.15, 0.55, 0.22, 0.08], random());
  const channel = weighted(channels, [0.45, 0.3, 0.2, 0.05], random());
  const factor = type === 'invoice' ? 1.5 : 1;
  const [frMinutes, resMinutes] = TARGET_MINUTES[priority];
  const frTarget = Math.round(frMinutes * 60 * factor);
  const resTarget = Math.round(resMinutes * 60 * factor);
  const created = new Date(createdMs);
  const at = (seconds: number): Date => addBusinessSeconds(cal, created, seconds);
  const frDue = at(frTarget);
  const resDue = at(resTarget);
  const number = `${tenant.code.toUpperCase()}-${String(seq).padStart(7, '0')}`;
  const subject = `${type === 'invoice' ? 'Invoice' : type === 'complaint' ? 'Complaint' : 'Batch'} ${seq}`;
  const operator = OPERATORS[Math.floor(random() * OPERATORS.length)] as string;

  // First response: 12 % late, and the sweep recorded 9 in 10 of those breaches.
  let frMet: Date | null = null;
  let frSeconds: number | null = null;
  let frBreached: Date | null = null;
  let status: string;
  let pausedSince: Date | null = null;
  let resMet: Date | null = null;
  let resSeconds: number | null = null;
  let resBreached: Date | null = null;
  let resolvedAt: Date | null = null;
  let closedAt: Date | null = null;
  let reopenedAt: Date | null = null;
  const now = new Date(nowMs);
  if (open) {
    status = weighted(['new', 'open', 'pending'], [0.2, 0.55, 0.25], random());
    if (status !== 'new') {
      frSeconds = Math.round(frTarget * (0.1 + random() * 1.3));
      frMet = at(frSeconds);
      if (frMet > now) [frMet, frSeconds] = [null, null];
    }
    if (frMet === null && frDue < now) frBreached = frDue;
    if (frMet && frMet > frDue && random() < 0.9) frBreached = frDue;
    if (status === 'pending')
      pausedSince = new Date(Math.min(nowMs, (frMet ?? created).getTime() + Math.floor(random() * 3 * DAY)));
    const runningUntil = pausedSince ?? now;
    if (resDue < runningUntil) resBreached = resDue;
  } else {
    frSeconds = Math.round(frTarget * (random() < 0.88 ? 0.05 + random() * 0.95 : 1 + random() * 3));
    frMet = at(frSeconds);
    if (frMet > frDue && random() < 0.9) frBreached = frDue;
    resSeconds = Math.max(
      frSeconds + 60,
      Math.round(resTarget * (random() < 0.85 ? 0.1 + random() * 0.9 : 1 + random() * 4)),
    );
    resMet = at(resSeconds);
    if (resMet > resDue && random() < 0.9) resBreached = resDue;
    resolvedAt = resMet;
    const roll = random();
    if (roll < 0.01) {
      // Reopened by the client a day later, resolved again on the same clock.
      reopenedAt = new Date(resMet.getTime() + DAY);
      resolvedAt = new Date(reopenedAt.getTime() + Math.floor(random() * 2 * DAY));
    }
    status = roll < 0.6 ? 'closed' : 'resolved';
    if (status === 'closed') closedAt = new Date(resolvedAt.getTime() + 3 * DAY);
  }
  const clock = (
    targetSeconds: number,
    dueAt: Date,
    metAt: Date | null,
    businessSeconds: number | null,
    breachedAt: Date | null,
  ) => ({
    targetSeconds,
    dueAt,
    metAt,
    businessSeconds,
    breachedAt,
    warned: metAt && metAt <= dueAt ? [] : [75, 90],
  });
  const running = [frMet ? null : frDue, resMet || pausedSince ? null : resDue].filter(
    (d): d is Date => d !== null,
  );
  const last = resolvedAt ?? frMet ?? created;
  return {
    _id: new Types.ObjectId(),
    tenantId: tenant._id,
    number,
    seq,
    type,
    subject,
    description: 'Created by bench/report.',
    priority,
    status,
    channel,
    requester: {
      id: new Types.ObjectId(),
      name: 'Client Person',
      email: `person${seq % 50}@${tenant.code}.example`,
    },
    assignee:
      status === 'new'
        ? null
        : {
            id: new Types.ObjectId(),
            name: operator,
            email: `${operator.split(' ')[0]?.toLowerCase()}@desk.example`,
          },
    priorityRank: priorityRank[priority],
    dueSortAt: running.length
      ? new Date(Math.min(...running.map((d) => d.getTime())))
      : new Date('9999-12-31T00:00:00Z'),
    assignedAt: status === 'new' ? null : created,
    sla: {
      policyVersion: 1,
      startedAt: created,
      warnAt: [75, 90],
      pausedSeconds: 0,
      pausedSince,
      pauses: pausedSince ? 1 : 0,
      firstResponse: clock(frTarget, frDue, frMet, frSeconds, frBreached),
      resolution: clock(resTarget, resDue, resMet, resSeconds, resBreached),
      nextEventAt: null,
    },
    tags: seq % 5 ? [] : ['bench'],
    fields:
      type === 'invoice'
        ? {
            supplierName: 'Nordic Paper A/S',
            supplierVat: 'DK12345674',
            invoiceNumber: `B-${seq}`,
            issueDate: '2025-03-02',
            dueDate: '2025-04-01',
            amount: 1250.5,
            currency: 'EUR',
          }
        : type === 'complaint'
          ? {
              customerName: 'Mario Rossi',
              customerReference: `ORD-${seq}`,
              channel: 'phone',
              category: 'Delivery',
              severity: 'medium',
            }
          : { batchDescription: `Batch ${seq}`, targetSystem: 'SAP', expectedRecordCount: 100 + (seq % 900) },
    duplicateOf: null,
    searchText: `${number} ${subject}`.toLowerCase(),
    version: 3,
    firstResponseAt: frMet,
    openedAt: status === 'new' ? null : created,
    pendingAt: pausedSince,
    resolvedAt,
    closedAt,
    reopenedAt,
    lastActivityAt: last,
    createdAt: created,
    updatedAt: last,
  };
}

/** Instants of [start, end) of a month of YEAR (1-12, 13 = January of the next year) in a zone. */
function monthRange(month: number, zone: string): [number, number] {
  const start = DateTime.fromObject({ year: YEAR, month: 1, day: 1 }, { zone }).plus({ months: month - 1 });
  return [start.toMillis(), start.plus({ months: 1 }).toMillis()];
}

interface Share {
  tenant: BenchTenant;
  count: number;
  /** Created uniformly in [from, to). */
  from: number;
  to: number;
  open: boolean;
}

/** What to create: per tenant, how many tickets over which span. */
export function plan(tenants: BenchTenant[], total: number, inPeriod: number): Share[] {
  const measured = tenants[0] as BenchTenant;
  const zone = measured.timeZone;
  const shares: Share[] = [];
  const [pFrom, pTo] = monthRange(MONTH, zone);
  shares.push({ tenant: measured, count: inPeriod, from: pFrom, to: pTo, open: false });
  const [qFrom, qTo] = monthRange(MONTH - 1, zone);
  shares.push({
    tenant: measured,
    count: Math.round(inPeriod * PREVIOUS_SHARE),
    from: qFrom,
    to: qTo,
    open: false,
  });
  for (let m = 1; m <= 12; m++) {
    if (m === MONTH || m === MONTH - 1) continue;
    const [from, to] = monthRange(m, zone);
    shares.push({ tenant: measured, count: Math.round(inPeriod * OTHER_MONTH_SHARE), from, to, open: false });
  }
  const [yearFrom] = monthRange(1, zone);
  shares.push({
    tenant: measured,
    count: Math.round(inPeriod * BACKLOG_SHARE),
    from: yearFrom,
    to: pTo,
    open: true,
  });
  const measuredCount = shares.reduce((sum, s) => sum + s.count, 0);
  const rest = total - measuredCount;
  if (rest < 0)
    throw new Error(
      `BENCH_TOTAL=${total} is less than the measured tenant's ${measuredCount} tickets (BENCH_IN_PERIOD=${inPeriod})`,
    );
  const others = tenants.slice(1);
  for (const [i, tenant] of others.entries()) {
    const count = Math.floor(rest / others.length) + (i < rest % others.length ? 1 : 0);
    const [from] = monthRange(1, tenant.timeZone);
    const [, to] = monthRange(12, tenant.timeZone);
    const backlog = Math.round(count * 0.01);
    shares.push({ tenant, count: count - backlog, from, to, open: false });
    shares.push({ tenant, count: backlog, from, to, open: true });
  }
  return shares;
}

/** Builds and inserts the planned tickets, one batch building while the previous one is stored. */
export async function insertTickets(
  collection: Collection,
  shares: Share[],
  nowMs: number,
  progress: (done: number) => void,
): Promise<number> {
  const random = rng(20251101);
  const seqs = new Map<string, number>();
  let batch: Document[] = [];
  let inFlight: Promise<unknown> = Promise.resolve();
  let done = 0;
  const flush = async (): Promise<void> => {
    const docs = batch;
    batch = [];
    await inFlight;
    inFlight = collection.insertMany(docs, { ordered: false }).then(() => {
      done += docs.length;
      progress(done);
    });
  };
  for (const share of shares) {
    for (let i = 0; i < share.count; i++) {
      const code = share.tenant.code;
      const seq = (seqs.get(code) ?? 0) + 1;
      seqs.set(code, seq);
      const createdMs = share.from + Math.floor(random() * (share.to - share.from));
      batch.push(ticketDoc(share.tenant, seq, createdMs, random, share.open, nowMs));
      if (batch.length >= BATCH) await flush();
    }
  }
  if (batch.length) await flush();
  await inFlight;
  return done;
}
