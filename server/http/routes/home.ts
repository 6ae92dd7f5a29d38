import { Router } from 'express';
import { homeFor } from '../../domain/home/home-for.js';
import { isStaff } from '../../domain/context.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { capacityNotice } from '../../domain/tickets/capacity.js';
import { formatNumber } from '../../i18n/format.js';
import { t } from '../../i18n/i18n.js';
import { requireSignIn } from '../middleware/guards.js';

/** `capacity`: tickets the embedded database serves well (null with MongoDB). */
export function homeRoutes(capacity: number | null): Router {
  const router = Router();
  router.get('/', requireSignIn, async (req, res) => {
    const now = new Date();
    const staff = isStaff(req.ctx.actor);
    // Each role's page is one domain function (domain/home/); staff also see the clients they serve.
    const [home, tenants, capacityWarning] = await Promise.all([
      homeFor(req.ctx, now),
      staff ? listTenants(req.ctx) : Promise.resolve([]),
      staff ? capacityNotice(req.ctx, capacity) : Promise.resolve(null),
    ]);
    const accountManager =
      home.kind === 'account_manager'
        ? {
            rows: home.accountManager.rows.map((row) => ({
              ...row,
              combinedText:
                row.combined.pct === null ? '–' : `${formatNumber(row.combined.pct, req.locale)} %`,
            })),
          }
        : undefined;
    res.render('home', {
      title: t(req.locale, 'home.title'),
      ...home,
      accountManager,
      staff,
      tenants,
      capacityWarning,
      now,
    });
  });
  return router;
}
