import { Router, type Request, type Response } from 'express';
import { keyerLines } from '../../domain/reports/accuracy-tables.js';
import { operatorCsv } from '../../domain/reports/operator-csv.js';
import { operatorView } from '../../domain/reports/operator-view.js';
import { t } from '../../i18n/i18n.js';
import { routePermission } from '../middleware/guards.js';
import { sendDownload } from '../downloads.js';
import { handleExport, handleFilter } from '../forms.js';

/**
 * The operator view for team leads and admins (permission `reports.operators`): handled tickets,
 * median handling time and SLA outcomes per operator, across the clients the viewer serves, as
 * a page and as CSV. Registered before the SLA report routes: `/reports/:tenantId` would
 * otherwise take "operators" for a client id.
 */

/** Staff read provider-wide pages in their profile's time zone (the provider's). */
const zoneOf = (res: Response): string => String(res.locals.timeZone);
const periodQuery = (query: Record<string, unknown>) => ({ from: query.from, to: query.to });

export function reportOperatorRoutes(): Router {
  const router = Router();
  const guard = routePermission('reports.operators');

  const showOperators = (req: Request, res: Response) => async (asked: Record<string, unknown>) => {
    const view = await operatorView(req.ctx, zoneOf(res), periodQuery(asked));
    const query = `from=${view.period.fromDate}&to=${view.period.toDate}`;
    res.render('reports/operators', {
      title: t(req.locale, 'operators.title'),
      view,
      rows: (view.unassigned ? [...view.rows, view.unassigned] : view.rows).map((r) => ({
        ...r,
        key: r.operator?.id ?? 'unassigned',
        hasMedian: r.medianSeconds !== null,
      })),
      keyers: keyerLines(view.keyers, req.locale),
      csvHref: `/reports/operators/export.csv?${query}`,
    });
  };
  router.get('/reports/operators', guard, (req, res) => handleFilter(req, res, showOperators(req, res)));

  router.get('/reports/operators/export.csv', guard, (req, res) =>
    handleExport(req, res, showOperators(req, res), async () => {
      const view = await operatorView(req.ctx, zoneOf(res), periodQuery(req.query));
      sendDownload(res, {
        name: `operators-${view.period.key}.csv`,
        type: 'csv',
        body: operatorCsv(view, req.locale),
      });
    }),
  );
  return router;
}
