import { Tenant } from '../../../models/tenant.js';
import { clientAccuracy, type ClientAccuracy } from '../quality/client-accuracy.js';
import { clientCsat, type CsatRow } from './csat-report.js';
import { notFound } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { scopeFilter, withTenant } from '../tenants/scope.js';
import { periodOf, previousPeriod, type ReportPeriod } from './report-period.js';
import { reportCalendar, scanTickets, type BreachRow, type VolumeRow } from './report-scan.js';
import { combined, type Tally } from './report-tally.js';
import {
  ageingTable,
  complianceTable,
  timesTable,
  trendTable,
  type AgeingRow,
  type ComplianceRow,
  type TimeRow,
  type TrendRow,
} from './report-tables.js';

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

const isObjectIdHex = (id: string): boolean => /^[0-9a-f]{24}$/i.test(id);

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
  /** Satisfaction surveys of the resolutions in the period (csat-report.ts). */
  satisfaction: CsatRow;
  /** Field accuracy of the lots inspected in the period, per layout and field (client-accuracy.ts). */
  accuracy: ClientAccuracy;
}

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
  const calendar = await reportCalendar(tenantId, zone);
  const scan = await scanTickets(scope, { zone, calendar, period, previous, asOf }, true);
  const satisfaction = await clientCsat(String(tenant._id), period.from, period.to);
  const accuracy = await clientAccuracy(String(tenant._id), period.from, period.to);
  return {
    satisfaction,
    accuracy,
    tenant: { id: String(tenant._id), code: tenant.code, legalName: tenant.legalName, timeZone: zone },
    period,
    previous,
    asOf,
    compliance: complianceTable(scan),
    previousCompliance: { ...scan.previous, combined: combined(scan.previous) },
    breaches: scan.breaches,
    volumes: [...scan.volumes.values()],
    totals: scan.totals,
    times: timesTable(scan),
    ageing: ageingTable(scan),
    trend: trendTable(scan),
  };
}
