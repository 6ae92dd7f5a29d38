import { Router } from 'express';
import { listTenants } from '../../domain/tenants/tenants.js';
import { capacityNotice } from '../../domain/tickets/capacity.js';
import { t } from '../../i18n/i18n.js';
import { requireSignIn } from '../middleware/guards.js';

/** `capacity`: tickets the embedded database serves well (null with MongoDB). */
export function homeRoutes(capacity: number | null): Router {
  const router = Router();
  router.get('/', requireSignIn, async (req, res) => {
    const [tenants, capacityWarning] = await Promise.all([listTenants(req.ctx), capacityNotice(req.ctx, capacity)]);
    res.render('home', { title: t(req.locale, 'home.title'), tenants, capacityWarning, now: new Date() });
  });
  return router;
}
