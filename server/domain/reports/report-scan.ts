import { DateTime } from 'luxon';
import { activeStatuses, channels, priorities, Ticket, ticketTypes } from '../../../models/ticket.js';
import { businessSecondsBetween, type BusinessCalendar } from '../sla/business-time.js';
import { slaTargets, type SlaTarget } from '../sla/clock.js';
import { calendarOf } from '../sla/contract-store.js';
import type { scopeFilter } from '../tenants/scope.js';
import type { ReportPeriod } from './report-period.js';
import { blankPair, count, outcomeOf, type Pair, type StoredTarget } from './report-tally.js';

/**
 * The scan of a report: one tenant-scoped query over the tickets of a period (and of the one
 * before), counted for every figure family in one pass (see sla-report.ts for the rules).
 */

export const ageingBuckets = ['lt_1d', 'd1_3', 'd3_7', 'gt_7d'] as const;
export type AgeingBucket = (typeof ageingBuckets)[number];

const DAY_MS = 86_400_000;

export interface BreachRow {
  number: string;
  type: string;
  priority: string;
  target: SlaTarget;
  targetSeconds: number;
  dueAt: Date;
  metAt: Date | null;
  overshootSeconds: number;
}

export interface VolumeRow {
  dimension: 'type' | 'priority' | 'channel';
  key: string;
  opened: number;
  resolved: number;
  backlog: number;
}

export interface Scan {
  current: { overall: Pair; byType: Map<string, Pair>; byPriority: Map<string, Pair> };
  previous: Pair;
  breaches: BreachRow[];
  times: Record<SlaTarget, number[]>;
  weekly: Map<string, Pair>;
  volumes: Map<string, VolumeRow>;
  totals: { opened: number; resolved: number; backlog: number };
  openedWeekly: Map<string, number>;
  ageing: Map<AgeingBucket, number>;
}

const weekKey = (dt: DateTime): string => `${dt.weekYear}-W${String(dt.weekNumber).padStart(2, '0')}`;

type Side = 'current' | 'previous';

/**
 * The trend key ('current|2025-W10') of an instant: its ISO week in the zone, looked up in the
 * week starts of [from, to) computed once, as luxon costs microseconds per call and a report asks
 * for a week per ticket and outcome (the keys are built once too).
 */
function weekFinder(zone: string, from: Date, to: Date): (ms: number, side: Side) => string {
  const starts: number[] = [];
  const keys: Record<Side, string[]> = { current: [], previous: [] };
  for (
    let week = DateTime.fromJSDate(from, { zone }).startOf('week');
    week.toMillis() < to.getTime();
    week = week.plus({ weeks: 1 })
  ) {
    starts.push(week.toMillis());
    for (const side of ['current', 'previous'] as const) keys[side].push(`${side}|${weekKey(week)}`);
  }
  const first = starts[0] ?? Infinity;
  return (ms, side) => {
    if (ms < first || ms >= to.getTime()) return `${side}|${weekKey(DateTime.fromMillis(ms, { zone }))}`;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= ms) lo = mid;
      else hi = mid - 1;
    }
    return keys[side][lo] as string;
  };
}

const pairIn = (map: Map<string, Pair>, key: string): Pair => {
  let p = map.get(key);
  if (!p) map.set(key, (p = blankPair()));
  return p;
};

const volumeDims = { type: ticketTypes, priority: priorities, channel: channels } as const;
type VolumeDim = keyof typeof volumeDims;
const volumeDimNames = Object.keys(volumeDims) as VolumeDim[];
const active = new Set<string>(activeStatuses);
const isDate = (d: unknown): d is Date => d instanceof Date;
const msOf = (d: Date | null | undefined): number => (isDate(d) ? d.getTime() : NaN);

type TicketScope = ReturnType<typeof scopeFilter>;

/** What a report reads of a ticket. */
interface ScannedTicket {
  number: string;
  type: string;
  priority: string;
  channel: string;
  status: string;
  createdAt: Date;
  resolvedAt?: Date | null;
  closedAt?: Date | null;
  reopenedAt?: Date | null;
  sla?: Partial<Record<SlaTarget, StoredTarget>> | null;
}

const STORED_FIELDS = ['targetSeconds', 'dueAt', 'metAt', 'businessSeconds', 'breachedAt'] as const;
/** Tickets per round trip: large enough that the round trips cost little, small enough to hold. */
const SCAN_BATCH = 2000;

/**
 * The one query of a report: every ticket of the scope with a target outcome (met, breached or
 * due) in [previous.from, period.to), and, with volumes, also every ticket opened in that span,
 * resolved in the period or open at its end. On the embedded engine any such filter is a full
 * scan, so one query with every condition costs one scan where a query per figure cost one each.
 */
function scanQuery(period: ReportPeriod, previous: ReportPeriod, withVolumes: boolean) {
  const range = { $gte: previous.from, $lt: period.to };
  const projection: Record<string, 0 | 1> = { _id: 0, number: 1, type: 1, priority: 1 };
  for (const target of slaTargets) for (const f of STORED_FIELDS) projection[`sla.${target}.${f}`] = 1;
  const outcomes = slaTargets.flatMap((target) =>
    ['metAt', 'breachedAt', 'dueAt'].map((f) => ({ [`sla.${target}.${f}`]: range })),
  );
  if (!withVolumes) return { branches: outcomes, projection };
  Object.assign(projection, {
    channel: 1,
    status: 1,
    createdAt: 1,
    resolvedAt: 1,
    closedAt: 1,
    reopenedAt: 1,
  });
  const before = { $lt: period.to };
  const $or = [
    // Most tickets a report reads were opened in one of the two periods: the engine tries this first.
    { createdAt: range },
    ...outcomes,
    { resolvedAt: { $gte: period.from, $lt: period.to } },
    { createdAt: before, status: { $in: activeStatuses } },
    { createdAt: before, resolvedAt: { $gte: period.to } },
    { createdAt: before, resolvedAt: null, closedAt: { $gte: period.to } },
  ];
  return { branches: $or, projection };
}

/**
 * Reads the scope's tickets once and counts every figure family in the same pass: memory holds
 * the tallies, the breach rows and the measured business times (the percentiles need them all),

/** The calendar a report measures overshoots in: the tenant's, or always open when it has none. */
export async function reportCalendar(tenantId: string, timeZone: string): Promise<BusinessCalendar> {
  return (
    (await calendarOf(tenantId)) ?? { timeZone, alwaysOpen: true, weekly: [], holidays: [], closures: [] }
  );
}

/** What one scan is about: the period, the one before, and the instant open things are measured to. */
interface ScanSpan {
  zone: string;
  calendar: BusinessCalendar;
  period: ReportPeriod;
  previous: ReportPeriod;
  asOf: Date;
}

/**
 * The counting of one scan, a ticket at a time: memory holds the tallies, the breach rows and
 * the measured business times (the percentiles need them all), never the tickets.
 */
class ScanCounter {
  readonly scan: Scan = {
    current: { overall: blankPair(), byType: new Map(), byPriority: new Map() },
    previous: blankPair(),
    breaches: [],
    times: { firstResponse: [], resolution: [] },
    weekly: new Map(),
    volumes: new Map(),
    totals: { opened: 0, resolved: 0, backlog: 0 },
    openedWeekly: new Map(),
    ageing: new Map(ageingBuckets.map((b) => [b, 0])),
  };
  // Rows by dimension and value, for lookups without building a key per ticket; scan.volumes keeps the order.
  private readonly rows = new Map<VolumeDim, Map<string, VolumeRow>>(
    volumeDimNames.map((d) => [d, new Map()]),
  );
  private readonly weekOf: (ms: number, side: Side) => string;
  // Instants as numbers: comparing Dates converts both sides on every comparison.
  private readonly from: number;
  private readonly to: number;
  private readonly previousFrom: number;
  private readonly previousTo: number;

  constructor(private readonly span: ScanSpan) {
    for (const dimension of volumeDimNames)
      for (const key of volumeDims[dimension]) this.volumeRow(dimension, key);
    this.weekOf = weekFinder(span.zone, span.previous.from, span.period.to);
    this.from = span.period.from.getTime();
    this.to = span.period.to.getTime();
    this.previousFrom = span.previous.from.getTime();
    this.previousTo = span.previous.to.getTime();
  }

  private volumeRow(dimension: VolumeDim, key: string): VolumeRow {
    const byKey = this.rows.get(dimension) as Map<string, VolumeRow>;
    let row = byKey.get(key);
    if (!row) {
      row = { dimension, key, opened: 0, resolved: 0, backlog: 0 };
      byKey.set(key, row);
      this.scan.volumes.set(`${dimension}|${key}`, row);
    }
    return row;
  }

  /** Each target's outcome, in the period or the one before, and its business time when met in the period. */
  countOutcomes(ticket: ScannedTicket): void {
    const { scan, from, to } = this;
    for (const target of slaTargets) {
      const stored = ticket.sla?.[target];
      if (!stored) continue;
      const metMs = msOf(stored.metAt);
      if (metMs >= from && metMs < to && typeof stored.businessSeconds === 'number')
        scan.times[target].push(stored.businessSeconds);
      const outcome = outcomeOf(stored);
      if (!outcome) continue;
      const atMs = msOf(outcome.at);
      if (atMs >= from && atMs < to) {
        count(scan.current.overall[target], outcome.breached);
        count(pairIn(scan.current.byType, ticket.type)[target], outcome.breached);
        count(pairIn(scan.current.byPriority, ticket.priority)[target], outcome.breached);
        count(pairIn(scan.weekly, this.weekOf(atMs, 'current'))[target], outcome.breached);
        if (outcome.breached) this.countBreach(ticket, target, stored);
      } else if (atMs >= this.previousFrom && atMs < this.previousTo) {
        count(scan.previous[target], outcome.breached);
        count(pairIn(scan.weekly, this.weekOf(atMs, 'previous'))[target], outcome.breached);
      }
    }
  }

  private countBreach(ticket: ScannedTicket, target: SlaTarget, stored: StoredTarget): void {
    const dueAt = stored.dueAt as Date;
    const until = stored.metAt ?? this.span.asOf;
    this.scan.breaches.push({
      number: ticket.number,
      type: ticket.type,
      priority: ticket.priority,
      target,
      targetSeconds: stored.targetSeconds ?? 0,
      dueAt,
      metAt: stored.metAt ?? null,
      overshootSeconds: until > dueAt ? businessSecondsBetween(this.span.calendar, dueAt, until) : 0,
    });
  }

  private bump(ticket: ScannedTicket, field: 'opened' | 'resolved' | 'backlog'): void {
    for (const dimension of volumeDimNames) this.volumeRow(dimension, String(ticket[dimension]))[field]++;
  }

  /** Opened (this and the previous period, for the trend), resolved, and open at the period end. */
  countVolumes(ticket: ScannedTicket): void {
    const { scan, from, to } = this;
    const created = msOf(ticket.createdAt);
    if (created >= this.previousFrom && created < to) {
      const current = created >= from;
      const key = this.weekOf(created, current ? 'current' : 'previous');
      scan.openedWeekly.set(key, (scan.openedWeekly.get(key) ?? 0) + 1);
      if (current) {
        scan.totals.opened++;
        this.bump(ticket, 'opened');
      }
    }
    const resolved = msOf(ticket.resolvedAt);
    if (resolved >= from && resolved < to) {
      scan.totals.resolved++;
      this.bump(ticket, 'resolved');
    }
    const openAtEnd =
      created < to &&
      (active.has(ticket.status) ||
        resolved >= to ||
        (ticket.resolvedAt == null && msOf(ticket.closedAt) >= to));
    // Open now, but resolved before the period end and reopened after it: not open back then.
    if (!openAtEnd || (resolved < to && msOf(ticket.reopenedAt) >= to)) return;
    scan.totals.backlog++;
    this.bump(ticket, 'backlog');
    const age = this.span.asOf.getTime() - created;
    const bucket: AgeingBucket =
      age < DAY_MS ? 'lt_1d' : age < 3 * DAY_MS ? 'd1_3' : age < 7 * DAY_MS ? 'd3_7' : 'gt_7d';
    scan.ageing.set(bucket, (scan.ageing.get(bucket) ?? 0) + 1);
  }

  /** The counted scan, its breaches worst first and its times ascending. */
  finish(): Scan {
    const { scan } = this;
    scan.breaches.sort(
      (a, b) =>
        b.overshootSeconds - a.overshootSeconds ||
        a.number.localeCompare(b.number) ||
        a.target.localeCompare(b.target),
    );
    for (const target of slaTargets) scan.times[target].sort((a, b) => a - b);
    return scan;
  }
}

/** Reads the scope's tickets once and counts every figure family in the same pass. */
export async function scanTickets(scope: TicketScope, span: ScanSpan, withVolumes: boolean): Promise<Scan> {
  const counter = new ScanCounter(span);
  const { branches, projection } = scanQuery(span.period, span.previous, withVolumes);
  // find({ ...scope, $or }) would send $or first (mongoose moves it ahead of the other keys), and
  // the engine, which tries a filter's keys in order, would then try every branch on every ticket
  // of every tenant before looking at tenantId; .or() keeps tenantId first.
  const cursor = Ticket.find(scope).or(branches).select(projection).lean().cursor({ batchSize: SCAN_BATCH });
  for await (const doc of cursor) {
    const ticket = doc as unknown as ScannedTicket;
    counter.countOutcomes(ticket);
    if (withVolumes) counter.countVolumes(ticket);
  }
  return counter.finish();
}
