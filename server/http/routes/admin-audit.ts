import { Router } from 'express';
import { verifyAuditChain } from '../../domain/audit/verify-audit-chain.js';
import { auditQuerySchema, listAudit } from '../../domain/reports/audit-log.js';
import { auditFilterChoices, auditRowView } from '../../domain/reports/audit-view.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { t } from '../../i18n/i18n.js';
import { handleFilter, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

export function adminAuditRoutes(): Router {
  const router = Router();
  router.get('/admin/audit', routePermission('audit.read'), (req, res) =>
    handleFilter(req, res, async (asked) => {
      const query = parseInput(auditQuerySchema, asked);
      const [events, tenants] = await Promise.all([
        listAudit(req.ctx, { action: query.action, area: query.area, tenantId: query.tenant }),
        listTenants(req.ctx),
      ]);
      const codes = new Map(tenants.map((tn) => [String(tn._id), tn.code]));
      res.render('admin/audit', {
        title: t(req.locale, 'audit.title'),
        events: events.map((e) => ({
          ...auditRowView(e, req.locale),
          tenantCode: e.tenantId ? codes.get(String(e.tenantId)) : null,
        })),
        choices: auditFilterChoices(req.locale),
        tenants,
        query,
      });
    }),
  );
  // The tamper-evident trail's check (issue #20): reads only, so a plain GET a bookmark can repeat.
  router.get('/admin/audit/verify', routePermission('audit.read'), async (req, res) => {
    const verdict = await verifyAuditChain(req.ctx);
    res.render('admin/audit-verify', { title: t(req.locale, 'audit_chain.title'), verdict });
  });
  return router;
}
