import { Router, type Request } from 'express';
import { tenantStatuses } from '../../../models/tenant.js';
import {
  createTenant,
  getTenant,
  listTenants,
  setTenantStatus,
  tenantInputSchema,
  tenantStatusSchema,
  updateTenant,
} from '../../domain/tenants/tenants.js';
import { clientVatInputSchema, saveClientVat } from '../../domain/einvoices/save-client-vat.js';
import { fourEyesRulesText } from '../../domain/tickets/four-eyes.js';
import { fourEyesRulesInputSchema, saveFourEyesRules } from '../../domain/tickets/save-four-eyes-rules.js';
import { cvrOf } from '../../domain/tickets/vat.js';
import { locales, t } from '../../i18n/i18n.js';
import { handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

const formLocals = (req: Request, extra: Record<string, unknown> = {}) => ({
  title: t(req.locale, extra.tenant ? 'tenants.edit_title' : 'tenants.new_title'),
  locales,
  timeZones: Intl.supportedValuesOf('timeZone'),
  ...extra,
});

/** The tenant form: the tenant's own fields, its VAT number and four-eyes thresholds, refused together. */
const tenantFormSchema = tenantInputSchema
  .extend(fourEyesRulesInputSchema.shape)
  .extend(clientVatInputSchema.shape);
function parseTenantForm(body: unknown) {
  const { fourEyes, vatNumber, ...tenant } = parseInput(tenantFormSchema, body);
  return { tenant, rules: { fourEyes }, vat: { vatNumber } };
}

export function adminTenantRoutes(): Router {
  const router = Router();
  router.use('/admin/tenants', routePermission('tenants.manage'));

  router.get('/admin/tenants', async (req, res) => {
    res.render('admin/tenants', {
      title: t(req.locale, 'tenants.title'),
      tenants: (await listTenants(req.ctx)).map((tn) => ({ ...tn, cvr: cvrOf(tn.vatNumber) })),
      statuses: tenantStatuses,
    });
  });
  router.get('/admin/tenants/new', (req, res) => {
    res.render('admin/tenant-form', formLocals(req, { values: { locale: 'en', timeZone: 'Europe/Rome' } }));
  });
  router.post('/admin/tenants', async (req, res) => {
    await handleForm(
      req,
      res,
      'admin/tenant-form',
      () => formLocals(req),
      async () => {
        const { tenant, rules, vat } = parseTenantForm(req.body);
        const created = await createTenant(req.ctx, tenant);
        await saveFourEyesRules(req.ctx, String(created._id), rules);
        await saveClientVat(req.ctx, String(created._id), vat);
        req.session.flash = { kind: 'ok', key: 'tenants.created' };
        res.redirect('/admin/tenants');
      },
    );
  });
  router.get('/admin/tenants/:id', async (req, res) => {
    const tenant = await getTenant(req.ctx, req.params.id);
    res.render(
      'admin/tenant-form',
      formLocals(req, { tenant, values: { ...tenant, fourEyes: fourEyesRulesText(tenant.fourEyes) } }),
    );
  });
  router.post('/admin/tenants/:id', async (req, res) => {
    const tenant = await getTenant(req.ctx, req.params.id);
    await handleForm(
      req,
      res,
      'admin/tenant-form',
      () => formLocals(req, { tenant }),
      async () => {
        const { tenant: input, rules, vat } = parseTenantForm(req.body);
        await updateTenant(req.ctx, req.params.id, input);
        await saveFourEyesRules(req.ctx, req.params.id, rules);
        await saveClientVat(req.ctx, req.params.id, vat);
        req.session.flash = { kind: 'ok', key: 'tenants.saved' };
        res.redirect('/admin/tenants');
      },
    );
  });
  router.post('/admin/tenants/:id/status', async (req, res) => {
    const { status } = parseInput(tenantStatusSchema, req.body);
    await setTenantStatus(req.ctx, req.params.id, status);
    req.session.flash = {
      kind: 'ok',
      key: status === 'suspended' ? 'tenants.suspended' : 'tenants.activated',
    };
    res.redirect('/admin/tenants');
  });
  return router;
}
