import { Router } from 'express';
import { ticketTypes } from '../../../models/ticket.js';
import { can } from '../../domain/auth/policy.js';
import { isClient } from '../../domain/context.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { capacityNotice } from '../../domain/tickets/capacity.js';
import { listTickets } from '../../domain/tickets/queries.js';
import { ticketListQuerySchema } from '../../domain/tickets/schemas.js';
import { t } from '../../i18n/i18n.js';
import { requireSignIn } from '../middleware/guards.js';

/** `capacity`: tickets the embedded database serves well (null with MongoDB). */
export function homeRoutes(capacity: number | null): Router {
  const router = Router();
  router.get('/', requireSignIn, async (req, res) => {
    const title = t(req.locale, 'home.title');
    if (isClient(req.ctx.actor)) {
      // Clients: their own tickets, newest first, and one button per kind of ticket they can open.
      const mine = await listTickets(req.ctx, ticketListQuerySchema.parse({ scope: 'mine' }));
      const types = can(req.ctx.actor, 'tickets.open') ? ticketTypes : [];
      return res.render('home', {
        title,
        client: true,
        tickets: mine.rows,
        moreTickets: mine.hasMore,
        types,
        now: new Date(),
      });
    }
    const [tenants, capacityWarning] = await Promise.all([
      listTenants(req.ctx),
      capacityNotice(req.ctx, capacity),
    ]);
    res.render('home', { title, tenants, capacityWarning, now: new Date() });
  });
  return router;
}
