import { Router } from 'express';
import { listScheduledJobs } from '../../domain/health/scheduled-jobs.js';
import { t } from '../../i18n/i18n.js';
import { routePermission } from '../middleware/guards.js';

export function adminJobRoutes(): Router {
  const router = Router();
  router.get('/admin/jobs', routePermission('jobs.read'), async (req, res) => {
    res.render('admin/jobs', {
      title: t(req.locale, 'jobs.title'),
      jobs: await listScheduledJobs(req.ctx),
      now: new Date(),
    });
  });
  return router;
}
