import { Router, type Request, type Response } from 'express';
import { csatReport } from '../../domain/reports/csat-report.js';
import { csatCsv, csatPageTables } from '../../domain/reports/csat-tables.js';
import { t } from '../../i18n/i18n.js';
import { sendDownload } from '../downloads.js';
import { handleExport, handleFilter } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

/**
 * Customer satisfaction per client and per operator (permission `reports.operators`), across
 * the clients the viewer serves, as a page and as CSV. Registered before the SLA report routes:
 * `/reports/:tenantId` would otherwise take "csat" for a client id.
 */

const zoneOf = (res: Response): string => String(res.locals.timeZone);
const periodQuery = (query: Record<string, unknown>) => ({ from: query.from, to: query.to });

export function reportCsatRoutes(): Router {
  const router = Router();
  const guard = routePermission('reports.operators');

  const showCsat = (req: Request, res: Response) => async (query: Record<string, unknown>) => {
    const report = await csatReport(req.ctx, zoneOf(res), periodQuery(query));
    res.render('reports/csat', {
      title: t(req.locale, 'csat.report.title'),
      report,
      tables: csatPageTables(report, req.locale),
      csvHref: `/reports/csat/export.csv?from=${report.period.fromDate}&to=${report.period.toDate}`,
    });
  };
  router.get('/reports/csat', guard, (req, res) => handleFilter(req, res, showCsat(req, res)));

  router.get('/reports/csat/export.csv', guard, (req, res) =>
    handleExport(req, res, showCsat(req, res), async () => {
      const report = await csatReport(req.ctx, zoneOf(res), periodQuery(req.query));
      sendDownload(res, {
        name: `csat-${report.period.key}.csv`,
        type: 'csv',
        body: csatCsv(report, req.locale),
      });
    }),
  );
  return router;
}
