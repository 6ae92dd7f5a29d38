import { Router, type Request, type Response } from 'express';
import { accuracyPageTables } from '../../domain/reports/accuracy-tables.js';
import { csatSummaryLine } from '../../domain/reports/csat-tables.js';
import { DateTime } from 'luxon';
import { isClient } from '../../domain/context.js';
import { statementCsv } from '../../domain/reports/statement-csv.js';
import { clientStatement, statementTables, type Statement } from '../../domain/reports/statement.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { intlLocaleOf } from '../../i18n/format.js';
import { t, type Locale } from '../../i18n/i18n.js';
import { routePermission } from '../middleware/guards.js';
import { sendDownload } from '../downloads.js';
import { handleExport, handleFilter } from '../forms.js';

/**
 * Monthly client statements (permission `reports.statement`): account managers and admins for
 * the clients they serve, a client admin for their own company (/reports/statements leads
 * there); a foreign or unknown client is 404. Every table also as CSV. Registered before the SLA
 * report routes: `/reports/:tenantId` would otherwise take "statements" for a client id.
 */

const tenantIdOf = (req: Request): string => String(req.params.tenantId);
const monthLabel = (statement: Statement, locale: Locale): string =>
  DateTime.fromJSDate(statement.month.from, { zone: statement.tenant.timeZone })
    .setLocale(intlLocaleOf(locale))
    .toFormat('LLLL yyyy');

/** The tables whose heading lives in another catalogue than the statement's. */
const exportLabels: Partial<Record<(typeof statementTables)[number], string>> = {
  satisfaction: 'csat.report.heading',
  quality: 'accuracy.records_heading',
  accuracy: 'accuracy.heading',
};

export function reportStatementRoutes(): Router {
  const router = Router();
  const guard = routePermission('reports.statement');

  router.get('/reports/statements', guard, async (req, res) => {
    const actor = req.ctx.actor;
    if (isClient(actor) && actor.kind === 'user' && actor.tenantId)
      return res.redirect(`/reports/${actor.tenantId}/statement`);
    const tenants = (await listTenants(req.ctx)).map((tn) => ({
      id: String(tn._id),
      code: tn.code,
      legalName: tn.legalName,
    }));
    res.render('reports/statements', { title: t(req.locale, 'statement.title'), tenants });
  });

  const showStatement = (req: Request, res: Response) => async (asked: Record<string, unknown>) => {
    const statement = await clientStatement(req.ctx, tenantIdOf(req), { month: asked.month });
    const query = `month=${statement.month.key}`;
    res.render('reports/statement', {
      title: t(req.locale, 'statement.page_title', { client: statement.tenant.legalName }),
      // Dates read in the client's time zone, as its month is.
      timeZone: statement.tenant.timeZone,
      statement,
      monthText: monthLabel(statement, req.locale),
      volumes: (['type', 'priority'] as const).map((dimension) => ({
        dimension,
        rows: statement.volumes
          .filter((v) => v.dimension === dimension)
          .map((v) => ({
            ...v,
            label: t(req.locale, `${dimension === 'type' ? 'ticket_types' : 'priorities'}.${v.key}`),
          })),
      })),
      satisfaction: csatSummaryLine(statement.satisfaction, req.locale),
      accuracy: accuracyPageTables(statement.accuracy, req.locale),
      exports: statementTables.map((table) => ({
        table,
        label: t(req.locale, exportLabels[table] ?? `statement.sections.${table}`),
        href: `/reports/${statement.tenant.id}/statement/export/${table}.csv?${query}`,
      })),
    });
  };
  router.get('/reports/:tenantId/statement', guard, (req, res) =>
    handleFilter(req, res, showStatement(req, res)),
  );

  for (const table of statementTables) {
    router.get(`/reports/:tenantId/statement/export/${table}.csv`, guard, (req, res) =>
      handleExport(req, res, showStatement(req, res), async () => {
        const statement = await clientStatement(req.ctx, tenantIdOf(req), { month: req.query.month });
        sendDownload(res, {
          name: `statement-${statement.tenant.code}-${statement.month.key}-${table}.csv`,
          type: 'csv',
          body: statementCsv(statement, table, req.locale),
        });
      }),
    );
  }
  return router;
}
