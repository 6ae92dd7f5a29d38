import { Router, type Request, type Response } from 'express';
import { isClient } from '../../domain/context.js';
import { reportCsv } from '../../domain/reports/report-csv.js';
import { portfolio, reportTables, slaReport, trafficLight, type SlaReport, type Tally } from '../../domain/reports/sla-report.js';
import { t, type Locale } from '../../i18n/i18n.js';
import { formatNumber } from '../../i18n/format.js';
import { requirePermission } from '../middleware/guards.js';

/**
 * SLA reports (permission `reports.read`): the portfolio overview of the clients a staff member
 * serves, and one client's report for a period, with every table as CSV. Client admins see
 * their own company's report only (at /reports and /reports/<their id>); a foreign client is 404.
 */

const tenantIdOf = (req: Request): string => String(req.params.tenantId);

const pctText = (x: Tally, locale: Locale): string => (x.pct === null ? '–' : `${formatNumber(x.pct, locale)} %`);
const tallyView = (x: Tally, locale: Locale) => ({ ...x, text: pctText(x, locale), light: trafficLight(x.pct) });

/** What the template needs beyond the report: texts of percentages and lights. */
function reportLocals(report: SlaReport, locale: Locale) {
  const query = `from=${report.period.fromDate}&to=${report.period.toDate}`;
  return {
    report,
    query,
    compliance: report.compliance.map((r) => ({
      ...r,
      label:
        r.scope === 'overall' ? t(locale, 'reports.csv.all') : t(locale, `${r.scope === 'type' ? 'ticket_types' : 'priorities'}.${r.key}`),
      firstResponse: tallyView(r.firstResponse, locale),
      resolution: tallyView(r.resolution, locale),
      combined: tallyView(r.combined, locale),
    })),
    previous: {
      firstResponse: tallyView(report.previousCompliance.firstResponse, locale),
      resolution: tallyView(report.previousCompliance.resolution, locale),
      combined: tallyView(report.previousCompliance.combined, locale),
    },
    volumes: (['type', 'priority', 'channel'] as const).map((dimension) => ({
      dimension,
      rows: report.volumes
        .filter((v) => v.dimension === dimension)
        .map((v) => ({ ...v, label: t(locale, `${dimension === 'type' ? 'ticket_types' : dimension === 'priority' ? 'priorities' : 'channels'}.${v.key}`) })),
    })),
    trend: report.trend.map((r) => ({ ...r, firstResponse: tallyView(r.firstResponse, locale), resolution: tallyView(r.resolution, locale) })),
    exports: reportTables.map((table) => ({ table, href: `/reports/${report.tenant.id}/export/${table}.csv?${query}` })),
  };
}

export function reportRoutes(): Router {
  const router = Router();
  router.use(['/reports', '/reports/*rest'], requirePermission('reports.read'));

  const renderReport = async (req: Request, res: Response, tenantId: string) => {
    const report = await slaReport(req.ctx, tenantId, { from: req.query.from, to: req.query.to });
    res.render('reports/show', {
      title: t(req.locale, 'reports.report_title', { client: report.tenant.legalName }),
      // Dates and times of a report read in the client's time zone, as its period is.
      timeZone: report.tenant.timeZone,
      ...reportLocals(report, req.locale),
    });
  };

  router.get('/reports', async (req, res) => {
    // A client admin has one company: /reports is its report.
    const actor = req.ctx.actor;
    if (isClient(actor) && actor.kind === 'user' && actor.tenantId) return renderReport(req, res, actor.tenantId);
    const rows = (await portfolio(req.ctx)).map((row) => ({
      ...row,
      combined: tallyView(row.combined, req.locale),
      firstResponse: tallyView(row.firstResponse, req.locale),
      resolution: tallyView(row.resolution, req.locale),
    }));
    res.render('reports/index', { title: t(req.locale, 'reports.title'), rows });
  });

  router.get('/reports/:tenantId', (req, res) => renderReport(req, res, tenantIdOf(req)));

  for (const table of reportTables) {
    router.get(`/reports/:tenantId/export/${table}.csv`, async (req, res) => {
      const report = await slaReport(req.ctx, tenantIdOf(req), { from: req.query.from, to: req.query.to });
      res.set('Content-Type', 'text/csv; charset=utf-8');
      res.set('Content-Disposition', `attachment; filename="sla-${report.tenant.code}-${report.period.key}-${table}.csv"`);
      res.send(reportCsv(report, table, req.locale));
    });
  }
  return router;
}
