import { Router, type Application, type Request, type Response } from 'express';
import { accuracyPageTables } from '../../domain/reports/accuracy-tables.js';
import { csatSummaryLine } from '../../domain/reports/csat-tables.js';
import { isClient } from '../../domain/context.js';
import { reportCsv } from '../../domain/reports/report-csv.js';
import { portfolio } from '../../domain/reports/portfolio.js';
import { reportTables } from '../../domain/reports/report-tables.js';
import { trafficLight, type Tally } from '../../domain/reports/report-tally.js';
import { slaReport, type SlaReport } from '../../domain/reports/sla-report.js';
import { getTenant } from '../../domain/tenants/tenants.js';
import { isLocale, t, type Locale } from '../../i18n/i18n.js';
import { formatNumber } from '../../i18n/format.js';
import type { PdfRenderer } from '../../pdf/renderer.js';
import { routePermission } from '../middleware/guards.js';
import { portfolioCharts, reportCharts, scriptJson } from '../report-charts.js';
import { staticRoots } from '../static-roots.js';
import { sendDownload } from '../downloads.js';
import { handleExport, handleFilter } from '../forms.js';

/**
 * SLA reports (permission `reports.read`): the portfolio overview of the clients a staff member
 * serves, and one client's report for a period, with every table as CSV and the whole report
 * as PDF. Client admins see their own company's report only (at /reports and
 * /reports/<their id>); a foreign client is 404.
 *
 * The PDF is the report page itself, rendered with the print layout in the client's language
 * and time zone (it is the client's document, whoever downloads it) and printed by Chromium.
 */

const tenantIdOf = (req: Request): string => String(req.params.tenantId);

const pctText = (x: Tally, locale: Locale): string =>
  x.pct === null ? '–' : `${formatNumber(x.pct, locale)} %`;
const tallyView = (x: Tally, locale: Locale) => ({
  ...x,
  text: pctText(x, locale),
  light: trafficLight(x.pct),
});

/** What the template needs beyond the report: texts of percentages and lights. */
function reportLocals(report: SlaReport, locale: Locale) {
  const query = `from=${report.period.fromDate}&to=${report.period.toDate}`;
  return {
    report,
    query,
    compliance: report.compliance.map((r) => ({
      ...r,
      label:
        r.scope === 'overall'
          ? t(locale, 'reports.csv.all')
          : t(locale, `${r.scope === 'type' ? 'ticket_types' : 'priorities'}.${r.key}`),
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
        .map((v) => ({
          ...v,
          label: t(
            locale,
            `${dimension === 'type' ? 'ticket_types' : dimension === 'priority' ? 'priorities' : 'channels'}.${v.key}`,
          ),
        })),
    })),
    trend: report.trend.map((r) => ({
      ...r,
      firstResponse: tallyView(r.firstResponse, locale),
      resolution: tallyView(r.resolution, locale),
    })),
    exports: reportTables.map((table) => ({
      table,
      href: `/reports/${report.tenant.id}/export/${table}.csv?${query}`,
    })),
    pdfHref: `/reports/${report.tenant.id}/export/report.pdf?${query}`,
    satisfaction: csatSummaryLine(report.satisfaction, locale),
    accuracy: accuracyPageTables(report.accuracy, locale),
    chartJson: scriptJson(reportCharts(report, locale)),
  };
}

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** Chromium's page footer: client, period and "page n of m" (its spans are filled in by Chromium). */
function pdfFooter(report: SlaReport, locale: Locale): string {
  const left = escapeHtml(
    `${report.tenant.legalName} · ${t(locale, 'reports.period_text', { from: report.period.fromDate, to: report.period.toDate, zone: report.tenant.timeZone })}`,
  );
  const right = escapeHtml(t(locale, 'reports.pdf.page', { page: '\u0001', pages: '\u0002' }))
    .replace('\u0001', '<span class="pageNumber"></span>')
    .replace('\u0002', '<span class="totalPages"></span>');
  return `<div style="width:100%;margin:0 15mm;font:7pt system-ui,sans-serif;color:#5f6b7a;display:flex;justify-content:space-between;gap:1em"><span>${left}</span><span>${right}</span></div>`;
}

const renderView = (app: Application, view: string, locals: Record<string, unknown>): Promise<string> =>
  new Promise((resolve, reject) =>
    app.render(view, locals, (err: Error | null, html?: string) => (err ? reject(err) : resolve(html ?? ''))),
  );

export function reportRoutes(pdf: PdfRenderer): Router {
  const router = Router();
  router.use(['/reports', '/reports/*rest'], routePermission('reports.read'));

  const showReport =
    (req: Request, res: Response, tenantId: string) => async (query: Record<string, unknown>) => {
      const report = await slaReport(req.ctx, tenantId, { from: query.from, to: query.to });
      res.render('reports/show', {
        title: t(req.locale, 'reports.report_title', { client: report.tenant.legalName }),
        // Dates and times of a report read in the client's time zone, as its period is.
        timeZone: report.tenant.timeZone,
        ...reportLocals(report, req.locale),
      });
    };
  const renderReport = (req: Request, res: Response, tenantId: string) =>
    handleFilter(req, res, showReport(req, res, tenantId));

  router.get('/reports', async (req, res) => {
    // A client admin has one company: /reports is its report.
    const actor = req.ctx.actor;
    if (isClient(actor) && actor.kind === 'user' && actor.tenantId)
      return renderReport(req, res, actor.tenantId);
    const rows = (await portfolio(req.ctx)).map((row) => ({
      ...row,
      combined: tallyView(row.combined, req.locale),
      firstResponse: tallyView(row.firstResponse, req.locale),
      resolution: tallyView(row.resolution, req.locale),
    }));
    res.render('reports/index', {
      title: t(req.locale, 'reports.title'),
      rows,
      chartJson: scriptJson(portfolioCharts(rows, req.locale)),
    });
  });

  router.get('/reports/:tenantId', (req, res) => renderReport(req, res, tenantIdOf(req)));

  router.get('/reports/:tenantId/export/report.pdf', (req, res) =>
    handleExport(req, res, showReport(req, res, tenantIdOf(req)), async () => {
      const report = await slaReport(req.ctx, tenantIdOf(req), { from: req.query.from, to: req.query.to });
      const tenant = await getTenant(req.ctx, report.tenant.id);
      const locale: Locale = isLocale(tenant.locale) ? tenant.locale : req.locale;
      const html = await renderView(req.app, 'reports/show', {
        layout: 'print',
        pdf: true,
        locale,
        timeZone: report.tenant.timeZone,
        title: t(locale, 'reports.report_title', { client: report.tenant.legalName }),
        generatedAt: new Date(),
        ...reportLocals(report, locale),
      });
      const file = await pdf.render({
        html,
        assets: staticRoots,
        readySelector: 'html[data-charts-ready]',
        footerHtml: pdfFooter(report, locale),
      });
      sendDownload(res, {
        name: `sla-${report.tenant.code}-${report.period.key}.pdf`,
        type: 'pdf',
        body: file,
      });
    }),
  );

  for (const table of reportTables) {
    router.get(`/reports/:tenantId/export/${table}.csv`, (req, res) =>
      handleExport(req, res, showReport(req, res, tenantIdOf(req)), async () => {
        const report = await slaReport(req.ctx, tenantIdOf(req), { from: req.query.from, to: req.query.to });
        sendDownload(res, {
          name: `sla-${report.tenant.code}-${report.period.key}-${table}.csv`,
          type: 'csv',
          body: reportCsv(report, table, req.locale),
        });
      }),
    );
  }
  return router;
}
