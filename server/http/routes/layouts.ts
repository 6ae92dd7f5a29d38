import { Router, type Request } from 'express';
import { fieldsFromText, fieldsToText } from '../../domain/quality/layout-text.js';
import { getLayout, listLayouts } from '../../domain/quality/list-layouts.js';
import { fieldClasses } from '../../domain/quality/record-layout.js';
import { aqlValues, inspectionLevels } from '../../domain/quality/sampling-tables.js';
import { formatInputNumber } from '../../domain/tickets/numbers.js';
import { saveLayout } from '../../domain/quality/save-layout.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { validation } from '../../errors/app-error.js';
import { t } from '../../i18n/i18n.js';
import { handleForm } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

/**
 * The record layout editor (team leads and admins, `quality.layouts`): a client's layouts, each
 * with its fields one per line (layout-text.ts), inspection level and AQL per class. Thin: the
 * rules are record-layout.ts and save-layout.ts.
 */
// Long function: a route table: the record layout pages.
export function layoutRoutes(): Router {
  const router = Router();
  const guard = routePermission('quality.layouts');

  const choices = async (req: Request) => ({
    tenants: (await listTenants(req.ctx)).map((x) => ({ id: String(x._id), code: x.code })),
    levels: inspectionLevels,
    aqls: aqlValues,
    classes: fieldClasses,
  });

  /** The posted form in the shape save-layout.ts takes; a field line that cannot be read is refused. */
  function fromForm(body: Record<string, unknown>) {
    const { fields, errors } = fieldsFromText(String(body.fieldsText ?? ''));
    if (errors.length > 0) {
      throw validation(errors.map((e) => ({ path: 'fieldsText', key: e.key, params: { line: e.line } })));
    }
    const percent = String(body.accuracyTarget ?? '')
      .trim()
      .replace(',', '.');
    return {
      name: body.name,
      fields,
      inspectionLevel: body.inspectionLevel,
      aql: {
        critical: Number(body['aql.critical']),
        major: Number(body['aql.major']),
        minor: Number(body['aql.minor']),
      },
      ...(percent ? { accuracyTarget: Number(percent) / 100 } : {}),
      doubleKeyCritical: body.doubleKeyCritical === 'true',
    };
  }

  router.get('/layouts', guard, async (req, res) => {
    const layouts = await listLayouts(req.ctx);
    const tenants = new Map((await listTenants(req.ctx)).map((x) => [String(x._id), x.code]));
    res.render('quality/layouts', {
      title: t(req.locale, 'keying.layouts_title'),
      layouts: layouts.map((l) => ({
        id: String(l._id),
        name: l.name,
        client: tenants.get(String(l.tenantId)) ?? '',
        fieldCount: l.fields.length,
      })),
    });
  });

  router.get('/layouts/new', guard, async (req, res) => {
    res.render('quality/layout-edit', {
      title: t(req.locale, 'keying.layout_new'),
      ...(await choices(req)),
      values: {
        inspectionLevel: 'II',
        'aql.critical': '0.65',
        'aql.major': '1',
        'aql.minor': '2.5',
        fieldsText: '',
      },
    });
  });

  router.post('/layouts', guard, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const locals = { title: t(req.locale, 'keying.layout_new'), ...(await choices(req)) };
    await handleForm(req, res, 'quality/layout-edit', locals, async () => {
      const saved = await saveLayout(req.ctx, String(body.tenantId ?? ''), fromForm(body));
      req.session.flash = { kind: 'ok', key: 'keying.layout_saved' };
      res.redirect(`/layouts/${String(saved._id)}`);
    });
  });

  router.get('/layouts/:id', guard, async (req, res) => {
    const { doc, layout } = await getLayout(req.ctx, String(req.params.id));
    res.render('quality/layout-edit', {
      title: layout.name,
      ...(await choices(req)),
      layoutId: String(doc._id),
      values: {
        tenantId: String(doc.tenantId),
        name: layout.name,
        version: String(doc.version),
        inspectionLevel: layout.inspectionLevel,
        'aql.critical': String(layout.aql.critical),
        'aql.major': String(layout.aql.major),
        'aql.minor': String(layout.aql.minor),
        // As the reader types it (99,5 in Italian and Danish), without binary noise (0.45 * 100).
        accuracyTarget:
          layout.accuracyTarget === undefined
            ? ''
            : formatInputNumber(Math.round(layout.accuracyTarget * 1e6) / 1e4, req.locale),
        fieldsText: fieldsToText(layout.fields),
        doubleKeyCritical: layout.doubleKeyCritical,
      },
    });
  });

  router.post('/layouts/:id', guard, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const { doc } = await getLayout(req.ctx, String(req.params.id));
    const locals = { title: doc.name, ...(await choices(req)), layoutId: String(doc._id) };
    await handleForm(req, res, 'quality/layout-edit', locals, async () => {
      await saveLayout(req.ctx, String(doc.tenantId), fromForm(body), {
        id: String(doc._id),
        version: Number(body.version),
      });
      req.session.flash = { kind: 'ok', key: 'keying.layout_saved' };
      res.redirect(`/layouts/${String(doc._id)}`);
    });
  });

  return router;
}
