import { Router } from 'express';
import { listTenants } from '../../domain/tenants/tenants.js';
import { t } from '../../i18n/i18n.js';
import { requireSignIn } from '../middleware/guards.js';

export function homeRoutes(): Router {
  const router = Router();
  router.get('/', requireSignIn, async (req, res) => {
    const tenants = await listTenants(req.ctx);
    res.render('home', { title: t(req.locale, 'home.title'), tenants, now: new Date() });
  });
  return router;
}
