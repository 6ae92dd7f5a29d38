import { DateTime } from 'luxon';
import { Tenant } from '../../../models/tenant.js';
import { activeStatuses, channels, priorities, Ticket, ticketTypes } from '../../../models/ticket.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { businessSecondsBetween, type BusinessCalendar } from '../sla/business-time.js';
import { slaTargets, type SlaTarget } from '../sla/clock.js';
import { calendarOf } from '../sla/contract-store.js';
import { scopeFilter, withTenant } from '../tenants/scope.js';
import { listTenants } from '../tenants/tenants.js';

/**
 * SLA reports of one client (issue 7): compliance, breaches, volumes, business times, backlog
 * ageing and a weekly trend for a period [from, to) of local days in the tenant's time zone.
 *
 * Read-only over what the SLA clock already stored on each ticket (`sla.*`, createdAt,
 * resolvedAt, type, priority, channel, status): nothing is recomputed from history. A report is
 * one tenant-scoped query with a projection, streamed through a cursor and counted for every
 * figure family in the same pass (the embedded engine scans the whole collection per query, so a
 * query per family cost a scan each; bench/report measures it), so memory grows with the number of
 * groups (and of breaches and measured times), not with the tickets read.
 *
 * Rules:
 * - a target is *measured* in the period its outcome falls in: a target met on time at its metAt;
 *   a breached one (breachedAt set, or met after dueAt) at its deadline (breachedAt, else dueAt),
 *   so a breach stays in the period it happened in even when the ticket is answered later.
 *   Running and paused targets are not measured yet.
 * - compliance % = met on time / measured, one decimal; null when nothing was measured.
 * - business times (median, p90): `businessSeconds` of the targets met in the period (late ones
 *   too), percentiles interpolated linearly between the sorted values (as a spreadsheet's
 *   PERCENTILE.INC does).
 * - overshoot of a breach: business seconds of the tenant's calendar from dueAt to metAt, or to
 *   the end of the period (or now, when earlier) while still unmet.
 * - backlog: tickets created before the period end and not resolved (or closed) by then; their
 *   age is wall-clock time from creation to the period end (or now, when earlier).
 * - trend: per ISO week (tenant's time zone) of the period and of the previous one of equal length
 *   (the previous calendar month for a month).
 * - nothing in a report names a person: client admins read the same report.
 */

export const reportTables = ['compliance', 'breaches', 'volumes', 'times', 'ageing', 'trend'] as const;
export type ReportTable = (typeof reportTables)[number];
export const ageingBuckets = ['lt_1d', 'd1_3', 'd3_7', 'gt_7d'] as const;
export type AgeingBucket = (typeof ageingBuckets)[number];
export type TrafficLight = 'green' | 'amber' | 'red' | 'none';

const DAY_MS = 86_400_000;
const MAX_PERIOD_DAYS = 366;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isObjectIdHex = (id: string): boolean => /^[0-9a-f]{24}$/i.test(id);

export interface ReportPeriod {
  from: Date;
  to: Date;
  /** Local dates in the tenant's time zone; `toDate` is the first day not included. */
  fromDate: string;
  toDate: string;
  /** '2025-05' for a calendar month, else '2025-05-03_2025-05-17'. */
  key: string;
}

function periodBetween(start: DateTime, end: DateTime): ReportPeriod {
  const fromDate = start.toISODate() as string;
  const toDate = end.toISODate() as string;
  const month = start.day === 1 && start.plus({ months: 1 }).toISODate() === toDate;
  return {
    from: start.toJSDate(),
    to: end.toJSDate(),
    fromDate,
    toDate,
    key: month ? start.toFormat('yyyy-MM') : `${fromDate}_${toDate}`,
  };
}

/** The last full calendar month in the time zone, as of `now`. */
export function lastMonth(timeZone: string, now = new Date()): ReportPeriod {
  const thisMonth = DateTime.fromJSDate(now, { zone: timeZone }).startOf('month');
  return periodBetween(thisMonth.minus({ months: 1 }), thisMonth);
}

/** The period a reader asked for (local dates, `to` excluded), or the last month when none. */
export function periodOf(timeZone: string, from?: unknown, to?: unknown, now = new Date()): ReportPeriod {
  if ((from === undefined || from === '') && (to === undefined || to === '')) return lastMonth(timeZone, now);
  const parse = (v: unknown) =>
    typeof v === 'string' && DATE.test(v) ? DateTime.fromISO(v, { zone: timeZone }) : null;
  const start = parse(from);
  const end = parse(to);
  const bad = (path: string) =>
    new AppError('validation', 'bad report period', {
      messageKey: 'reports.errors.period',
      fields: [{ path, key: 'reports.errors.period' }],
    });
  if (!start?.isValid) throw bad('from');
  if (!end?.isValid || end <= start) throw bad('to');
  if (end.diff(start, 'days').days > MAX_PERIOD_DAYS) throw bad('to');
  return periodBetween(start.startOf('day'), end.startOf('day'));
}

/** The period of equal length just before: the previous calendar month for a month. */
export function previousPeriod(period: ReportPeriod, timeZone: string): ReportPeriod {
  const start = DateTime.fromJSDate(period.from, { zone: timeZone });
  const end = DateTime.fromJSDate(period.to, { zone: timeZone });
  if (/^\d{4}-\d{2}$/.test(period.key)) return periodBetween(start.minus({ months: 1 }), start);
  const days = Math.round(end.diff(start, 'days').days);
  return periodBetween(start.minus({ days }), start);
}

/** The p-th percentile of ascending values, interpolated linearly; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

export const trafficLight = (pct: number | null): TrafficLight =>
  pct === null ? 'none' : pct >= 95 ? 'green' : pct >= 85 ? 'amber' : 'red';

const round1 = (x: number): number => Math.round(x * 10) / 10;

// ---------------------------------------------------------------------------------------------
// Tallies

export interface Tally {
  measured: number;
  met: number;
  breached: number;
  /** met / measured in percent, one decimal; null when nothing was measured. */
  pct: number | null;
}
const blankTally = (): Tally => ({ measured: 0, met: 0, breached: 0, pct: null });
function count(t: Tally, breached: boolean): void {
  t.measured++;
  if (breached) t.breached++;
  else t.met++;
  t.pct = round1((100 * t.met) / t.measured);
}
type Pair = Record<SlaTarget, Tally>;
const blankPair = (): Pair => ({ firstResponse: blankTally(), resolution: blankTally() });
const combined = (p: Pair): Tally => {
  const measured = p.firstResponse.measured + p.resolution.measured;
  const met = p.firstResponse.met + p.resolution.met;
  return { measured, met, breached: measured - met, pct: measured ? round1((100 * met) / measured) : null };
};

interface StoredTarget {
  targetSeconds?: number;
  dueAt?: Date | null;
  metAt?: Date | null;
  businessSeconds?: number | null;
  breachedAt?: Date | null;
}

/** When a target's outcome became known, and whether it was a breach; null while open. */
export function outcomeOf(t: StoredTarget | null | undefined): { at: Date; breached: boolean } | null {
  if (!t?.dueAt) return null;
  const late = t.metAt != null && t.metAt > t.dueAt;
  if (t.breachedAt || late) return { at: t.breachedAt ?? t.dueAt, breached: true };
  if (t.metAt) return { at: t.metAt, breached: false };
  return null;
}

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

interface Scan {
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
 * never the tickets.
 */
async function scanTickets(
  scope: TicketScope,
  zone: string,
  calendar: BusinessCalendar,
  period: ReportPeriod,
  previous: ReportPeriod,
  asOf: Date,
  withVolumes: boolean,
): Promise<Scan> {
  const scan: Scan = {
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
  const rows = new Map<VolumeDim, Map<string, VolumeRow>>(volumeDimNames.map((d) => [d, new Map()]));
  const volumeRow = (dimension: VolumeDim, key: string): VolumeRow => {
    const byKey = rows.get(dimension) as Map<string, VolumeRow>;
    let row = byKey.get(key);
    if (!row) {
      row = { dimension, key, opened: 0, resolved: 0, backlog: 0 };
      byKey.set(key, row);
      scan.volumes.set(`${dimension}|${key}`, row);
    }
    return row;
  };
  for (const dimension of volumeDimNames) for (const key of volumeDims[dimension]) volumeRow(dimension, key);
  const weekOf = weekFinder(zone, previous.from, period.to);
  // Instants as numbers: comparing Dates converts both sides on every comparison.
  const from = period.from.getTime();
  const to = period.to.getTime();
  const previousFrom = previous.from.getTime();
  const previousTo = previous.to.getTime();
  const msOf = (d: Date | null | undefined): number => (isDate(d) ? d.getTime() : NaN);

  const countOutcomes = (ticket: ScannedTicket): void => {
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
        count(pairIn(scan.weekly, weekOf(atMs, 'current'))[target], outcome.breached);
        if (outcome.breached) {
          const dueAt = stored.dueAt as Date;
          const until = stored.metAt ?? asOf;
          scan.breaches.push({
            number: ticket.number,
            type: ticket.type,
            priority: ticket.priority,
            target,
            targetSeconds: stored.targetSeconds ?? 0,
            dueAt,
            metAt: stored.metAt ?? null,
            overshootSeconds: until > dueAt ? businessSecondsBetween(calendar, dueAt, until) : 0,
          });
        }
      } else if (atMs >= previousFrom && atMs < previousTo) {
        count(scan.previous[target], outcome.breached);
        count(pairIn(scan.weekly, weekOf(atMs, 'previous'))[target], outcome.breached);
      }
    }
  };

  const bump = (ticket: ScannedTicket, field: 'opened' | 'resolved' | 'backlog'): void => {
    for (const dimension of volumeDimNames) volumeRow(dimension, String(ticket[dimension]))[field]++;
  };

  // Opened (this and the previous period, for the trend), resolved, and open at the period end.
  const countVolumes = (ticket: ScannedTicket): void => {
    const created = msOf(ticket.createdAt);
    if (created >= previousFrom && created < to) {
      const current = created >= from;
      const key = weekOf(created, current ? 'current' : 'previous');
      scan.openedWeekly.set(key, (scan.openedWeekly.get(key) ?? 0) + 1);
      if (current) {
        scan.totals.opened++;
        bump(ticket, 'opened');
      }
    }
    const resolved = msOf(ticket.resolvedAt);
    if (resolved >= from && resolved < to) {
      scan.totals.resolved++;
      bump(ticket, 'resolved');
    }
    const openAtEnd =
      created < to &&
      (active.has(ticket.status) ||
        resolved >= to ||
        (ticket.resolvedAt == null && msOf(ticket.closedAt) >= to));
    // Open now, but resolved before the period end and reopened after it: not open back then.
    if (!openAtEnd || (resolved < to && msOf(ticket.reopenedAt) >= to)) return;
    scan.totals.backlog++;
    bump(ticket, 'backlog');
    const age = asOf.getTime() - created;
    const bucket: AgeingBucket =
      age < DAY_MS ? 'lt_1d' : age < 3 * DAY_MS ? 'd1_3' : age < 7 * DAY_MS ? 'd3_7' : 'gt_7d';
    scan.ageing.set(bucket, (scan.ageing.get(bucket) ?? 0) + 1);
  };

  const { branches, projection } = scanQuery(period, previous, withVolumes);
  // find({ ...scope, $or }) would send $or first (mongoose moves it ahead of the other keys), and
  // the engine, which tries a filter's keys in order, would then try every branch on every ticket
  // of every tenant before looking at tenantId; .or() keeps tenantId first.
  const cursor = Ticket.find(scope).or(branches).select(projection).lean().cursor({ batchSize: SCAN_BATCH });
  for await (const doc of cursor) {
    const ticket = doc as unknown as ScannedTicket;
    countOutcomes(ticket);
    if (withVolumes) countVolumes(ticket);
  }
  scan.breaches.sort(
    (a, b) =>
      b.overshootSeconds - a.overshootSeconds ||
      a.number.localeCompare(b.number) ||
      a.target.localeCompare(b.target),
  );
  for (const target of slaTargets) scan.times[target].sort((a, b) => a - b);
  return scan;
}

// ---------------------------------------------------------------------------------------------
// The report

export interface ComplianceRow {
  scope: 'overall' | 'type' | 'priority';
  key: string;
  firstResponse: Tally;
  resolution: Tally;
  combined: Tally;
}
export interface VolumeRow {
  dimension: 'type' | 'priority' | 'channel';
  key: string;
  opened: number;
  resolved: number;
  backlog: number;
}
export interface TimeRow {
  target: SlaTarget;
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}
export interface AgeingRow {
  bucket: AgeingBucket;
  count: number;
}
export interface TrendRow {
  period: 'previous' | 'current';
  week: string;
  opened: number;
  firstResponse: Tally;
  resolution: Tally;
}

export interface SlaReport {
  tenant: { id: string; code: string; legalName: string; timeZone: string };
  period: ReportPeriod;
  previous: ReportPeriod;
  /** The instant open things are measured to: the period end, or now when earlier. */
  asOf: Date;
  compliance: ComplianceRow[];
  previousCompliance: { firstResponse: Tally; resolution: Tally; combined: Tally };
  breaches: BreachRow[];
  volumes: VolumeRow[];
  totals: { opened: number; resolved: number; backlog: number };
  times: TimeRow[];
  ageing: AgeingRow[];
  trend: TrendRow[];
}

const ALWAYS_OPEN = (timeZone: string): BusinessCalendar => ({
  timeZone,
  alwaysOpen: true,
  weekly: [],
  holidays: [],
  closures: [],
});

/** The tenant a report is about, checked against the caller's access (foreign or unknown: 404). */
async function reportTenant(ctx: Ctx, tenantId: string) {
  requirePermission(ctx, 'reports.read');
  if (!isObjectIdHex(tenantId)) throw notFound('tenant');
  const scoped = withTenant(ctx, tenantId);
  const tenant = await Tenant.findById(tenantId)
    .select({ code: 1, legalName: 1, timeZone: 1, locale: 1 })
    .lean();
  if (!tenant) throw notFound('tenant');
  return { tenant, scope: scopeFilter(scoped) };
}

const complianceRow = (scope: ComplianceRow['scope'], key: string, p: Pair): ComplianceRow => ({
  scope,
  key,
  firstResponse: p.firstResponse,
  resolution: p.resolution,
  combined: combined(p),
});

/** The SLA report of one tenant for a period (default: last calendar month in its time zone). */
export async function slaReport(
  ctx: Ctx,
  tenantId: string,
  query: { from?: unknown; to?: unknown } = {},
  now = new Date(),
): Promise<SlaReport> {
  const { tenant, scope } = await reportTenant(ctx, tenantId);
  const zone = tenant.timeZone;
  const period = periodOf(zone, query.from, query.to, now);
  const previous = previousPeriod(period, zone);
  const asOf = new Date(Math.min(now.getTime(), period.to.getTime()));
  const calendar = (await calendarOf(tenantId)) ?? ALWAYS_OPEN(zone);

  const scan = await scanTickets(scope, zone, calendar, period, previous, asOf, true);
  const { openedWeekly } = scan;

  const weeks = new Set([...scan.weekly.keys(), ...openedWeekly.keys()]);
  const trend = [...weeks]
    .map((k) => {
      const [p, week] = k.split('|') as ['previous' | 'current', string];
      const pair = scan.weekly.get(k) ?? blankPair();
      return {
        period: p,
        week,
        opened: openedWeekly.get(k) ?? 0,
        firstResponse: pair.firstResponse,
        resolution: pair.resolution,
      };
    })
    .sort((a, b) =>
      a.period === b.period ? a.week.localeCompare(b.week) : a.period === 'previous' ? -1 : 1,
    );

  return {
    tenant: { id: String(tenant._id), code: tenant.code, legalName: tenant.legalName, timeZone: zone },
    period,
    previous,
    asOf,
    compliance: [
      complianceRow('overall', 'all', scan.current.overall),
      ...ticketTypes.map((type) => complianceRow('type', type, scan.current.byType.get(type) ?? blankPair())),
      ...priorities.map((priority) =>
        complianceRow('priority', priority, scan.current.byPriority.get(priority) ?? blankPair()),
      ),
    ],
    previousCompliance: { ...scan.previous, combined: combined(scan.previous) },
    breaches: scan.breaches,
    volumes: [...scan.volumes.values()],
    totals: scan.totals,
    times: slaTargets.map((target) => {
      const values = scan.times[target];
      const med = percentile(values, 50);
      const p90 = percentile(values, 90);
      return {
        target,
        count: values.length,
        medianSeconds: med === null ? null : Math.round(med),
        p90Seconds: p90 === null ? null : Math.round(p90),
      };
    }),
    ageing: ageingBuckets.map((bucket) => ({ bucket, count: scan.ageing.get(bucket) ?? 0 })),
    trend,
  };
}

// ---------------------------------------------------------------------------------------------
// Portfolio overview

export interface PortfolioRow {
  tenant: { id: string; code: string; legalName: string };
  period: ReportPeriod;
  firstResponse: Tally;
  resolution: Tally;
  combined: Tally;
  light: TrafficLight;
  worstBreaches: BreachRow[];
}

/** One row per tenant the caller serves: last month's compliance and its worst breaches. */
export async function portfolio(ctx: Ctx, now = new Date()): Promise<PortfolioRow[]> {
  requirePermission(ctx, 'reports.read');
  const tenants = await listTenants(ctx);
  const rows: PortfolioRow[] = [];
  for (const tenant of tenants) {
    const id = String(tenant._id);
    const scope = scopeFilter(withTenant(ctx, id));
    const period = lastMonth(tenant.timeZone, now);
    const asOf = new Date(Math.min(now.getTime(), period.to.getTime()));
    const calendar = (await calendarOf(id)) ?? ALWAYS_OPEN(tenant.timeZone);
    const scan = await scanTickets(scope, tenant.timeZone, calendar, period, period, asOf, false);
    const total = combined(scan.current.overall);
    rows.push({
      tenant: { id, code: tenant.code, legalName: tenant.legalName },
      period,
      ...scan.current.overall,
      combined: total,
      light: trafficLight(total.pct),
      worstBreaches: scan.breaches.slice(0, 3),
    });
  }
  return rows;
}
