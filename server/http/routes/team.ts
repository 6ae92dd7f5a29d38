import { Router, type Request } from 'express';
import { clientRoles } from '../../../models/user.js';
import {
  inviteTeamMember,
  listTeam,
  setTeamMemberStatus,
  teamInviteSchema,
} from '../../domain/tenants/team.js';
import { userStatusInputSchema } from '../../domain/auth/staff.js';
import { t } from '../../i18n/i18n.js';
import { handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';
import { ownFourEyesRules } from '../../domain/tickets/four-eyes.js';

/** A client admin manages the people of their own company. */
export function teamRoutes(): Router {
  const router = Router();
  router.use('/team', routePermission('team.manage'));
  const pageLocals = async (req: Request) => ({
    title: t(req.locale, 'team.title'),
    members: await listTeam(req.ctx),
    roles: clientRoles,
    fourEyesRules: await ownFourEyesRules(req.ctx, req.locale),
  });

  router.get('/team', async (req, res) => {
    res.render('team', { ...(await pageLocals(req)), values: { role: 'client_user' } });
  });
  router.post('/team', async (req, res) => {
    await handleForm(
      req,
      res,
      'team',
      () => pageLocals(req),
      async () => {
        await inviteTeamMember(req.ctx, parseInput(teamInviteSchema, req.body));
        req.session.flash = { kind: 'ok', key: 'team.invited' };
        res.redirect('/team');
      },
    );
  });
  router.post('/team/:id/status', async (req, res) => {
    const { status } = parseInput(userStatusInputSchema, req.body);
    await setTeamMemberStatus(req.ctx, req.params.id, status);
    req.session.flash = { kind: 'ok', key: status === 'disabled' ? 'users.disabled' : 'users.enabled' };
    res.redirect('/team');
  });
  return router;
}
