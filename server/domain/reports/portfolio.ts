import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { scopeFilter, withTenant } from '../tenants/scope.js';
import { listTenants } from '../tenants/tenants.js';
import { lastMonth, type ReportPeriod } from './report-period.js';
import { reportCalendar, scanTickets, type BreachRow } from './report-scan.js';
import { combined, trafficLight, type Tally, type TrafficLight } from './report-tally.js';

/** The portfolio overview of the SLA reports (rules: sla-report.ts). */

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
    const calendar = await reportCalendar(id, tenant.timeZone);
    const span = { zone: tenant.timeZone, calendar, period, previous: period, asOf };
    const scan = await scanTickets(scope, span, false);
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
