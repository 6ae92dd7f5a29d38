import { Router, type Request } from 'express';
import {
  apiTokenInputSchema,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from '../../domain/tenants/api-tokens.js';
import { t } from '../../i18n/i18n.js';
import { handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

/**
 * A client admin's API tokens: list, create (the raw token is shown on the answer to the
 * creating POST and never again: it is not stored, not put in the session, not redirected
 * through), revoke.
 */
export function apiTokenRoutes(): Router {
  const router = Router();
  router.use('/api-tokens', routePermission('tokens.manage'));
  const pageLocals = async (req: Request) => ({
    title: t(req.locale, 'api_tokens.title'),
    tokens: await listApiTokens(req.ctx),
  });

  router.get('/api-tokens', async (req, res) => {
    res.render('api-tokens', { ...(await pageLocals(req)), values: {} });
  });

  router.post('/api-tokens', async (req, res) => {
    await handleForm(
      req,
      res,
      'api-tokens',
      () => pageLocals(req),
      async () => {
        const { token, apiToken } = await createApiToken(req.ctx, parseInput(apiTokenInputSchema, req.body));
        res.set('Cache-Control', 'no-store');
        res.status(201).render('api-tokens', {
          ...(await pageLocals(req)),
          values: {},
          created: { token, name: apiToken.name },
        });
      },
    );
  });

  router.post('/api-tokens/:id/revoke', async (req, res) => {
    const { revoked } = await revokeApiToken(req.ctx, String(req.params.id));
    req.session.flash = {
      kind: 'ok',
      key: revoked ? 'api_tokens.revoked_flash' : 'api_tokens.already_revoked',
    };
    res.redirect('/api-tokens');
  });
  return router;
}
