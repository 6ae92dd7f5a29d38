import { Router, type Request } from 'express';
import { staffRoles } from '../../../models/user.js';
import {
  createStaff,
  getStaff,
  listStaff,
  setStaffStatus,
  staffInputSchema,
  updateStaff,
  userStatusInputSchema,
} from '../../domain/auth/staff.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { locales, t } from '../../i18n/i18n.js';
import { handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

export function adminStaffRoutes(): Router {
  const router = Router();
  router.use('/admin/staff', routePermission('staff.manage'));

  const formLocals = async (req: Request, extra: Record<string, unknown> = {}) => ({
    title: t(req.locale, extra.member ? 'staff.edit_title' : 'staff.new_title'),
    roles: staffRoles,
    locales,
    tenants: await listTenants(req.ctx),
    ...extra,
  });

  router.get('/admin/staff', async (req, res) => {
    const [staff, tenants] = await Promise.all([listStaff(req.ctx), listTenants(req.ctx)]);
    const codes = new Map(tenants.map((tn) => [String(tn._id), tn.code]));
    const rows = staff.map((u) => ({
      ...u,
      tenantCodes: u.tenantIds.map((id) => codes.get(String(id)) ?? '?'),
    }));
    res.render('admin/staff', { title: t(req.locale, 'staff.title'), staff: rows });
  });
  router.get('/admin/staff/new', async (req, res) => {
    res.render('admin/staff-form', await formLocals(req, { values: { role: 'operator', tenantIds: [] } }));
  });
  router.post('/admin/staff', async (req, res) => {
    await handleForm(
      req,
      res,
      'admin/staff-form',
      () => formLocals(req),
      async () => {
        await createStaff(req.ctx, parseInput(staffInputSchema, req.body));
        req.session.flash = { kind: 'ok', key: 'staff.invited' };
        res.redirect('/admin/staff');
      },
    );
  });
  router.get('/admin/staff/:id', async (req, res) => {
    const member = await getStaff(req.ctx, req.params.id);
    res.render(
      'admin/staff-form',
      await formLocals(req, { member, values: { ...member, tenantIds: member.tenantIds.map(String) } }),
    );
  });
  router.post('/admin/staff/:id', async (req, res) => {
    const member = await getStaff(req.ctx, req.params.id);
    await handleForm(
      req,
      res,
      'admin/staff-form',
      () => formLocals(req, { member }),
      async () => {
        const input = parseInput(staffInputSchema, { ...req.body, email: member.email });
        await updateStaff(req.ctx, req.params.id, input);
        req.session.flash = { kind: 'ok', key: 'staff.saved' };
        res.redirect('/admin/staff');
      },
    );
  });
  router.post('/admin/staff/:id/status', async (req, res) => {
    const { status } = parseInput(userStatusInputSchema, req.body);
    await setStaffStatus(req.ctx, req.params.id, status);
    req.session.flash = { kind: 'ok', key: status === 'disabled' ? 'users.disabled' : 'users.enabled' };
    res.redirect('/admin/staff');
  });
  return router;
}
