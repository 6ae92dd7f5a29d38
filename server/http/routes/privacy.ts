import { Router, type Request } from 'express';
import { privacyRequestKinds } from '../../../models/privacy-request.js';
import { decidePrivacyRequest } from '../../domain/privacy/decide-privacy-request.js';
import { startErasure } from '../../domain/privacy/erase-person.js';
import { exportPerson, writePersonArchive } from '../../domain/privacy/export-person.js';
import { listPrivacyRequests } from '../../domain/privacy/list-privacy-requests.js';
import { requestPrivacyAction } from '../../domain/privacy/request-privacy-action.js';
import { showPrivacyRequest } from '../../domain/privacy/show-privacy-request.js';
import { t } from '../../i18n/i18n.js';
import { backWithConflict, handleForm } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

const idOf = (req: Request): string => String(req.params.id);

/** Data subjects' requests (issue #20): client admins make them for their people, admins decide and run them. */
// Long function: a route table: the requests page, one request, its decision, its run and its archive.
export function privacyRoutes(): Router {
  const router = Router();
  router.use(['/privacy', '/privacy/*rest'], routePermission('privacy.request'));

  const listLocals = async (req: Request) => ({
    title: t(req.locale, 'privacy.title'),
    ...(await listPrivacyRequests(req.ctx)),
    kinds: privacyRequestKinds,
  });
  router.get('/privacy', async (req, res) => {
    res.render('privacy/index', { ...(await listLocals(req)), values: { kind: 'export' } });
  });
  router.post('/privacy', async (req, res) => {
    await handleForm(
      req,
      res,
      'privacy/index',
      () => listLocals(req),
      async () => {
        const request = await requestPrivacyAction(req.ctx, req.body);
        req.session.flash = { kind: 'ok', key: 'privacy.requested' };
        res.redirect(`/privacy/${String(request._id)}`);
      },
    );
  });

  const showLocals = async (req: Request) => {
    const shown = await showPrivacyRequest(req.ctx, idOf(req));
    return { ...shown, title: t(req.locale, `privacy.kinds.${shown.request.kind}`) };
  };
  router.get('/privacy/:id', async (req, res) => {
    res.render('privacy/show', await showLocals(req));
  });
  router.post('/privacy/:id/decide', async (req, res) => {
    await handleForm(
      req,
      res,
      'privacy/show',
      () => showLocals(req),
      async () => {
        await decidePrivacyRequest(req.ctx, idOf(req), req.body);
        req.session.flash = { kind: 'ok', key: 'privacy.decided' };
        res.redirect(`/privacy/${idOf(req)}`);
      },
    );
  });
  router.post('/privacy/:id/run', async (req, res) => {
    try {
      await startErasure(req.ctx, idOf(req));
    } catch (err) {
      return backWithConflict(req, res, `/privacy/${idOf(req)}`, err);
    }
    req.session.flash = { kind: 'ok', key: 'privacy.erasure_started' };
    res.redirect(`/privacy/${idOf(req)}`);
  });
  router.get('/privacy/:id/archive.zip', async (req, res) => {
    const archive = await exportPerson(req.ctx, idOf(req));
    res.set({
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="${archive.filename}"`,
      'Cache-Control': 'private, no-store',
    });
    await writePersonArchive(req.ctx, archive, res);
  });
  return router;
}
