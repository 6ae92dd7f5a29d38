import { Router, type Request } from 'express';
import { macroStatuses } from '../../../models/macro.js';
import { priorities, ticketTypes, type TicketType } from '../../../models/ticket.js';
import { applyMacro } from '../../domain/macros/apply-macro.js';
import { getMacro, listMacros } from '../../domain/macros/list-macros.js';
import { fieldChangesText, macroInputSchema, settableFields } from '../../domain/macros/macro-input.js';
import { placeholdersFor } from '../../domain/macros/placeholders.js';
import { saveMacro } from '../../domain/macros/save-macro.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { t } from '../../i18n/i18n.js';
import { handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';
import { ticketPage } from './tickets.js';

/** Macros: the management pages (team leads, admins) and applying one on a ticket (staff). */
// Long function: a route table: the macro pages and the apply action.
export function macroRoutes(): Router {
  const router = Router();
  router.use(['/macros', '/macros/*rest'], routePermission('macros.manage'));

  const formLocals = async (
    req: Request,
    extra: { macro?: unknown; type?: string | null; values?: Record<string, unknown> } = {},
  ) => {
    const type = (extra.type ?? null) as TicketType | null;
    return {
      title: t(req.locale, extra.macro ? 'macros.edit_title' : 'macros.new_title'),
      tenants: await listTenants(req.ctx),
      types: ticketTypes,
      statuses: macroStatuses,
      priorities,
      placeholderList: placeholdersFor(type)
        .concat(type ? [] : ticketTypes.flatMap((ty) => placeholdersFor(ty)).filter((n) => n.includes('.')))
        .filter((n, i, all) => all.indexOf(n) === i)
        .map((n) => `{{${n}}}`)
        .join(', '),
      settable: type ? settableFields(type).join(', ') : '',
      ...extra,
    };
  };

  router.get('/macros', async (req, res) => {
    const tenants = new Map((await listTenants(req.ctx)).map((x) => [String(x._id), x.legalName]));
    const macros = (await listMacros(req.ctx)).map((m) => ({
      ...m,
      scope: m.tenantId ? (tenants.get(String(m.tenantId)) ?? '') : t(req.locale, 'macros.all_clients'),
    }));
    res.render('macros/index', { title: t(req.locale, 'macros.title'), macros });
  });
  router.get('/macros/new', async (req, res) => {
    res.render('macros/form', await formLocals(req, { values: { active: true } }));
  });
  router.post('/macros', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const type = typeof body.type === 'string' && body.type ? body.type : null;
    await handleForm(
      req,
      res,
      'macros/form',
      () => formLocals(req, { type }),
      async () => {
        await saveMacro(req.ctx, null, parseInput(macroInputSchema, body));
        req.session.flash = { kind: 'ok', key: 'macros.saved' };
        res.redirect('/macros');
      },
    );
  });
  router.get('/macros/:id', async (req, res) => {
    const macro = await getMacro(req.ctx, String(req.params.id));
    const values = {
      name: macro.name,
      tenantId: macro.tenantId ? String(macro.tenantId) : '',
      type: macro.type ?? '',
      body_en: macro.body.en,
      body_it: macro.body.it,
      body_da: macro.body.da,
      status: macro.status ?? '',
      priority: macro.priority ?? '',
      tags: macro.tags.join(', '),
      fieldChanges: fieldChangesText(macro.fields as Record<string, unknown>),
      active: macro.active,
    };
    res.render('macros/form', await formLocals(req, { macro, type: macro.type ?? null, values }));
  });
  router.post('/macros/:id', async (req, res) => {
    const macro = await getMacro(req.ctx, String(req.params.id));
    const body = req.body as Record<string, unknown>;
    const type = typeof body.type === 'string' && body.type ? body.type : null;
    await handleForm(
      req,
      res,
      'macros/form',
      () => formLocals(req, { macro, type }),
      async () => {
        const input = parseInput(macroInputSchema, {
          ...body,
          // The scope stays the macro's (the form shows it, fixed).
          tenantId: macro.tenantId ? String(macro.tenantId) : '',
          active: body.active === 'true' ? 'true' : 'false',
        });
        await saveMacro(req.ctx, String(macro._id), input);
        req.session.flash = { kind: 'ok', key: 'macros.saved' };
        res.redirect('/macros');
      },
    );
  });

  /**
   * Apply a macro on a ticket: a plain form post from the picker's preview. A missing value or a
   * refused change shows the ticket page again with the preview and the message.
   */
  router.post('/tickets/:ref/macro', routePermission('macros.apply'), async (req, res) => {
    const ref = String(req.params.ref);
    const macroId = String((req.body as { macroId?: unknown }).macroId ?? '');
    const page = await ticketPage(req, ref, macroId);
    await handleForm(req, res, 'tickets/show', page, async () => {
      const done = await applyMacro(req.ctx, ref, macroId, req.locale);
      req.session.flash = { kind: 'ok', key: 'macros.applied', params: { name: done.macro.name } };
      res.redirect(`/tickets/${ref}#latest`);
    });
  });
  return router;
}
