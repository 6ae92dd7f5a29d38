import { Router, type Request, type Response } from 'express';
import { priorities, ticketTypes, type TicketType } from '../../../models/ticket.js';
import { can } from '../../domain/auth/policy.js';
import { isStaff } from '../../domain/context.js';
import { listAttachments, openAttachment } from '../../domain/tickets/attachments.js';
import { assignableStaff } from '../../domain/queues/claims.js';
import { slaView } from '../../domain/sla/view.js';
import { clientTenantId, createTicket } from '../../domain/tickets/create.js';
import { carryUploads, type PendingUploadView } from '../../domain/tickets/pending-uploads.js';
import { listPoTickets } from '../../domain/tickets/list-po-tickets.js';
import { changeStatus } from '../../domain/tickets/lifecycle.js';
import { getTicket, listTickets, listTimeline } from '../../domain/tickets/queries.js';
import { replyAndSetStatus, replyAndSetStatusSchema } from '../../domain/queues/reply-and-set-status.js';
import { einvoiceOfTicket } from '../../domain/einvoices/queries.js';
import { approvalGateView, einvoiceView, warningsAcceptedView } from '../einvoice-view.js';
import { ticketFindingStates } from '../../domain/tickets/approval-gate.js';
import { macroPickerLocals } from '../macro-picker.js';
import { ticketPageFlags } from '../../domain/tickets/page-flags.js';
import { holdsOnTicket } from '../../domain/retention/holds-on-ticket.js';
import { fourEyesPageFlags } from '../../domain/tickets/four-eyes.js';
import { timelineView } from '../../domain/tickets/timeline-view.js';
import {
  approvalOutcomes,
  complaintChannels,
  complaintSeverities,
  statusChangeSchema,
  ticketInputSchema,
  ticketListQuerySchema,
} from '../../domain/tickets/schemas.js';
import { ticketUpdateSchema, updateTicket } from '../../domain/tickets/update.js';
import { commonCurrencies, currencyCodes } from '../../domain/tickets/currencies.js';
import { fieldsForForm, readFormFields } from '../../domain/tickets/numbers.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { AppError } from '../../errors/app-error.js';
import { conflictFlash, presentError } from '../../errors/present.js';
import { t, type Locale } from '../../i18n/i18n.js';
import { backWithConflict, handleFilter, handleForm, parseInput } from '../forms.js';
import { routePermission, requireSignIn } from '../middleware/guards.js';
import { formUploads, uploadedFiles } from '../uploads.js';
import { receiveEInvoiceFiles } from '../../domain/einvoices/receive-einvoice-files.js';
import { renderPartial } from '../views.js';

/** Form posts name type fields `fields.<name>`; gather them, numbers read in the reader's locale. */
function formFields(
  type: TicketType,
  body: Record<string, unknown>,
  locale: Locale,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body))
    if (key.startsWith('fields.')) fields[key.slice(7)] = value;
  return readFormFields(type, fields, locale);
}

/** A new ticket's form in the shape the domain takes. */
function formToTicketInput(type: TicketType, body: Record<string, unknown>, locale: Locale) {
  return {
    type,
    subject: body.subject,
    description: body.description,
    priority: body.priority,
    tags: body.tags,
    fields: formFields(type, body, locale),
  };
}

/** A ticket's values as its edit forms show them (`fields.<name>`, numbers in the reader's format). */
function editValuesOf(
  ticket: {
    type: string;
    subject: string;
    description?: string | null;
    priority: string;
    tags?: string[];
    fields?: unknown;
  },
  type: TicketType,
  locale: Locale,
) {
  const shown = fieldsForForm(type, (ticket.fields ?? {}) as Record<string, unknown>, locale);
  return {
    type,
    subject: ticket.subject,
    description: ticket.description ?? '',
    priority: ticket.priority,
    tags: (ticket.tags ?? []).join(', '),
    ...Object.fromEntries(Object.entries(shown).map(([k, v]) => [`fields.${k}`, v])),
  };
}

const otherCurrencies = currencyCodes.filter((c) => !commonCurrencies.includes(c));
const choices = {
  priorities,
  complaintChannels,
  complaintSeverities,
  approvalOutcomes,
  ticketTypes,
  commonCurrencies,
  otherCurrencies,
};

function parseType(raw: string): TicketType {
  if (!(ticketTypes as readonly string[]).includes(raw))
    throw new AppError('not_found', 'unknown ticket type');
  return raw as TicketType;
}

/**
 * Everything the ticket page shows, for the caller's eyes only (`macroId`: the macro whose
 * preview the page shows, when not the one the query names; routes/macros.ts).
 */
export async function ticketPage(req: Request, ref: string, macroId?: string) {
  const ticket = await getTicket(req.ctx, ref);
  const [timeline, attachments, einvoice, poTickets] = await Promise.all([
    listTimeline(req.ctx, ticket),
    listAttachments(req.ctx, ticket),
    ticket.type === 'invoice' ? einvoiceOfTicket(req.ctx, ticket) : null,
    listPoTickets(req.ctx, ticket),
  ]);
  const holds = await holdsOnTicket(req.ctx, ticket, attachments);
  const flags = ticketPageFlags(req.ctx, ticket);
  const fourEyes = await fourEyesPageFlags(req.ctx, ticket, approvalOutcomes, req.locale);
  return {
    title: `${ticket.number} · ${ticket.subject}`,
    renderedAt: new Date().toISOString(),
    sla: await slaView(ticket),
    ticket,
    fieldsView: ticket.fields,
    editValues: editValuesOf(ticket, ticket.type as TicketType, req.locale),
    timeline: timelineView(timeline, attachments, req.locale, timeZoneOf(req), ticket),
    attachments,
    einvoice: einvoice
      ? einvoiceView(einvoice, req.locale, {
          timeZone: timeZoneOf(req),
          mayOverride: can(req.ctx.actor, 'invoices.override_findings'),
          staff: isStaff(req.ctx.actor),
        })
      : null,
    warningsAccepted: warningsAcceptedView(ticket.warningsAccepted),
    poTickets,
    holds,
    ...flags,
    ...fourEyes,
    assignable: flags.canAssign ? await assignableStaff(req.ctx, String(ticket.tenantId)) : [],
    choices,
    ...(await macroPickerLocals(req, ticket, macroId)),
  };
}

const timeZoneOf = (req: Request) => String(req.res?.locals.timeZone ?? 'UTC');
const readerOf = (req: Request) => ({ locale: req.locale, timeZone: timeZoneOf(req) });

/** Does the caller (the page script) want the answer as JSON rather than a page? */
const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';

/** The message after sending: what was sent, and whether the status was set or why not. */
function sentFlash(
  locale: Locale,
  sent: Awaited<ReturnType<typeof replyAndSetStatus>>,
): { kind: 'ok' | 'error'; key: string; params?: Record<string, string> } {
  const status = sent.status;
  if (status && !status.done && status.refused)
    return {
      kind: 'error',
      key: 'composer.status_refused',
      params: { reason: t(locale, status.refused.messageKey, status.refused.params) },
    };
  if (status?.done)
    return {
      kind: 'ok',
      key: 'composer.sent_and_set',
      params: { status: t(locale, `ticket_status.${status.to}`) },
    };
  return { kind: 'ok', key: sent.entry.kind === 'note' ? 'tickets.note_added' : 'tickets.reply_sent' };
}

/** The composer as the ticket page prints it, for the page script to put in place of its form. */
function composerHtml(
  req: Request,
  page: Record<string, unknown> & { pendingUploads?: PendingUploadView[] },
  extra: { errors?: Record<string, string>; values?: Record<string, unknown> },
) {
  return renderPartial(
    'ticket-composer',
    { ...page, values: {}, ...extra, csrfToken: req.res?.locals.csrfToken as string },
    readerOf(req),
  );
}

/** The parts of the ticket page a send can change, rendered again for the page script to swap in. */
async function sideHtml(req: Request, page: Record<string, unknown>) {
  const context = { ...page, csrfToken: req.res?.locals.csrfToken as string };
  const [statusHtml, assigneeHtml, statusCardHtml] = await Promise.all(
    ['ticket-status', 'ticket-assignee', 'ticket-status-card'].map((name) =>
      renderPartial(name, context, readerOf(req)),
    ),
  );
  return { statusHtml, assigneeHtml, statusCardHtml };
}

// Long function: a route table: many short handlers that share the page locals.
export function ticketRoutes(): Router {
  const router = Router();
  router.use(['/tickets', '/attachments'], requireSignIn);

  const listPage = async (req: Request, res: Response, asked: Record<string, unknown>) => {
    const query = parseInput(ticketListQuerySchema, asked);
    const staff = isStaff(req.ctx.actor);
    if (staff && query.q && /^[a-z][a-z0-9-]{1,19}-\d{6}$/i.test(query.q)) {
      const direct = await getTicket(req.ctx, query.q).catch(() => null);
      if (direct) return res.redirect(`/tickets/${direct.number}`);
    }
    const [result, tenants] = await Promise.all([
      listTickets(req.ctx, query),
      staff ? listTenants(req.ctx) : Promise.resolve([]),
    ]);
    const codes = new Map(tenants.map((tn) => [String(tn._id), tn.code]));
    res.render('tickets/list', {
      title: t(req.locale, 'tickets.list_title'),
      rows: result.rows.map((r) => ({ ...r, tenantCode: codes.get(String(r.tenantId)) })),
      hasMore: result.hasMore,
      nextPage: result.page + 1,
      prevPage: result.page > 1 ? result.page - 1 : null,
      query,
      staff,
      tenants,
      types: ticketTypes,
      priorities,
      statuses: ['active', 'new', 'open', 'pending', 'resolved', 'closed'],
      canOpen: can(req.ctx.actor, 'tickets.open'),
    });
  };

  router.get('/tickets', (req, res) => handleFilter(req, res, (asked) => listPage(req, res, asked)));

  router.get('/tickets/new', routePermission('tickets.open'), (req, res) => {
    res.render('tickets/choose-type', { title: t(req.locale, 'tickets.new_title'), types: ticketTypes });
  });

  const newFormLocals = (req: Request, type: TicketType) => ({
    title: t(req.locale, `ticket_types.${type}`),
    type,
    choices,
    fieldsPartial: `ticket-fields/${type}`,
  });

  router.get('/tickets/new/:type', routePermission('tickets.open'), (req, res) => {
    const type = parseType(String(req.params.type));
    res.render('tickets/new', { ...newFormLocals(req, type), values: { priority: 'normal' } });
  });

  router.post('/tickets/new/:type', routePermission('tickets.open'), async (req, res) => {
    const type = parseType(String(req.params.type));
    const body = req.body as Record<string, unknown>;
    if (type === 'invoice' && body.einvoiceUpload === '1') {
      // The e-invoice files of the invoice form: one ticket per invoice, through the one intake.
      await handleForm(
        req,
        res,
        'tickets/new',
        () => newFormLocals(req, type),
        async () => {
          const outcomes = await receiveEInvoiceFiles(req.ctx, uploadedFiles(req, 'einvoices'));
          res.status(outcomes.some((o) => o.receipt) ? 201 : 422).render('tickets/einvoices-received', {
            title: t(req.locale, 'einvoiceform.title'),
            files: outcomes.map((o) => ({
              filename: o.filename,
              tickets: (o.receipt?.invoices ?? []).map((i) => ({
                number: i.ticket.number,
                duplicateOf: i.ticket.duplicateOf,
                created: i.created,
              })),
              error: o.error ? presentError(o.error, req.locale, 'page').message : null,
            })),
          });
        },
      );
      return;
    }
    // A refused form comes back with its files still attached (kept for this session).
    const locals: Record<string, unknown> & { pendingUploads?: PendingUploadView[] } = newFormLocals(
      req,
      type,
    );
    await handleForm(req, res, 'tickets/new', locals, async () => {
      const uploads = formUploads(req);
      const outcome = await carryUploads(
        req.ctx,
        { sessionId: req.sessionID, tenantId: clientTenantId(req.ctx) },
        uploads,
        async (files) => {
          const input = parseInput(ticketInputSchema, formToTicketInput(type, body, req.locale));
          return createTicket(req.ctx, input, 'portal', files);
        },
      );
      if (!outcome.ok) {
        locals.pendingUploads = outcome.pending;
        throw outcome.error;
      }
      req.session.flash = { kind: 'ok', key: 'tickets.created', params: { number: outcome.value.number } };
      res.redirect(`/tickets/${outcome.value.number}`);
    });
  });

  router.get('/tickets/:ref', async (req, res) => {
    res.render('tickets/show', { ...(await ticketPage(req, req.params.ref)), values: {} });
  });

  /**
   * The composer: a reply or note with its files, and in the same action the status ("send and
   * …"). Without JavaScript a form post answered by a redirect (or the form again, with its
   * errors); the page script posts the same form with `Accept: application/json` and gets the new
   * entry and the composer as the server renders them.
   */
  router.post('/tickets/:ref/replies', async (req, res) => {
    const ref = req.params.ref;
    const body = req.body as Record<string, unknown>;
    const json = wantsJson(req);
    const page: Awaited<ReturnType<typeof ticketPage>> & { pendingUploads?: PendingUploadView[] } =
      await ticketPage(req, ref);
    const send = async () => {
      // A refused reply (empty, or someone answered meanwhile) comes back with its files attached.
      const uploads = formUploads(req);
      const outcome = await carryUploads(
        req.ctx,
        { sessionId: req.sessionID, tenantId: String(page.ticket.tenantId) },
        uploads,
        async (files) => replyAndSetStatus(req.ctx, ref, parseInput(replyAndSetStatusSchema, body), files),
      );
      if (!outcome.ok) {
        page.pendingUploads = outcome.pending;
        throw outcome.error;
      }
      return outcome.value;
    };
    if (!json) {
      await handleForm(req, res, 'tickets/show', page, async () => {
        const sent = await send();
        req.session.flash = sentFlash(req.locale, sent);
        res.redirect(`/tickets/${ref}#latest`);
      });
      return;
    }
    try {
      const sent = await send();
      const flash = sentFlash(req.locale, sent);
      const fresh = await ticketPage(req, ref);
      const files = sent.entry.attachmentIds?.length ? fresh.attachments : [];
      const [entryView] = timelineView([sent.entry], files, req.locale, timeZoneOf(req), fresh.ticket);
      res.json({
        ok: true,
        message: t(req.locale, flash.key, flash.params ?? {}),
        statusChange: sent.status,
        assigned: sent.assigned,
        version: sent.ticket.version,
        entry: entryView && {
          id: entryView.id,
          html: await renderPartial('timeline-entry', { ...entryView }, readerOf(req)),
        },
        composerHtml: fresh.canReply ? await composerHtml(req, fresh, {}) : '',
        // The side cards the send changed (status, who has it, the moves now offered), as printed.
        side: await sideHtml(req, fresh),
      });
    } catch (err) {
      const shown = presentError(err, req.locale, 'page');
      if (shown.form === 'error-page') throw shown.appError;
      const errors = Object.fromEntries(shown.fields.map((f) => [f.path, f.message]));
      const values = { ...body };
      delete values.confirm;
      delete values._csrf;
      res.status(shown.status).json({
        ok: false,
        error: { code: shown.appError.code, message: shown.message, fields: shown.fields },
        composerHtml: await composerHtml(req, page, { errors, values }),
      });
    }
  });

  router.post('/tickets/:ref/status', async (req, res) => {
    const { status } = parseInput(statusChangeSchema, req.body);
    try {
      await changeStatus(req.ctx, req.params.ref, status);
      req.session.flash = { kind: 'ok', key: 'tickets.status_changed', params: { status } };
      res.redirect(`/tickets/${req.params.ref}`);
    } catch (err) {
      backWithConflict(req, res, `/tickets/${req.params.ref}`, err);
    }
  });

  /** Staff correct every field of a ticket, its type included (the new type's fields then). */
  const editLocals = async (req: Request, ref: string, type?: TicketType) => {
    const ticket = await getTicket(req.ctx, ref);
    const editType = type ?? (ticket.type as TicketType);
    // Four eyes: the decisions are offered only to whoever may take them (four-eyes.ts).
    const { approvalOutcomes: offered } = await fourEyesPageFlags(
      req.ctx,
      ticket,
      approvalOutcomes,
      req.locale,
    );
    const gate =
      ticket.type === 'invoice' ? approvalGateView(await ticketFindingStates(req.ctx, ticket)) : null;
    return {
      title: t(req.locale, 'ticket_edit.title', { number: ticket.number }),
      gate,
      ticket,
      type: editType,
      typeChanged: editType !== ticket.type,
      choices: { ...choices, approvalOutcomes: offered },
      fieldsPartial: `ticket-fields/${editType}`,
      editing: true,
      values: editValuesOf(ticket, editType, req.locale),
    };
  };

  router.get('/tickets/:ref/edit', routePermission('queues.work'), async (req, res) => {
    const raw = typeof req.query.type === 'string' && req.query.type ? req.query.type : undefined;
    res.render(
      'tickets/edit',
      await editLocals(req, String(req.params.ref), raw ? parseType(raw) : undefined),
    );
  });

  router.post('/tickets/:ref/fields', routePermission('queues.work'), async (req, res) => {
    const ref = String(req.params.ref);
    const body = req.body as Record<string, unknown>;
    // The full edit page sends every field and the type; the ticket page's card only some.
    const full = body.form === 'edit';
    const page = full
      ? await editLocals(req, ref, parseType(String(body.type ?? '')))
      : await ticketPage(req, ref);
    const type = full ? (page as { type: TicketType }).type : (page.ticket.type as TicketType);
    await handleForm(
      req,
      res,
      full ? 'tickets/edit' : 'tickets/show',
      { ...page, editValues: { ...body } },
      async () => {
        const posted = formFields(type, body, req.locale);
        // The card: an empty box leaves the field as it is. The full page: an empty box clears it.
        const fields = full ? posted : Object.fromEntries(Object.entries(posted).filter(([, v]) => v !== ''));
        const update = {
          ...(full
            ? { type, subject: body.subject, description: body.description, replaceFields: true }
            : {}),
          priority: body.priority,
          tags: body.tags,
          acceptWarnings: body.acceptWarnings,
          ...(full || Object.keys(fields).length ? { fields } : {}),
        };
        try {
          await updateTicket(req.ctx, ref, parseInput(ticketUpdateSchema, update));
        } catch (err) {
          // A change that lost a race goes back to the ticket with a message, not into the form.
          if (conflictFlash(err)) return backWithConflict(req, res, `/tickets/${ref}`, err);
          throw err;
        }
        req.session.flash = { kind: 'ok', key: 'tickets.saved' };
        res.redirect(`/tickets/${ref}`);
      },
    );
  });

  router.get('/attachments/:id', async (req, res) => {
    const { attachment, stream } = await openAttachment(req.ctx, String(req.params.id));
    res.set({
      'Content-Type': attachment.contentType,
      'Content-Length': String(attachment.size),
      'Content-Disposition': `attachment; filename="${attachment.filename.replace(/"/g, '')}"`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-store',
    });
    stream.on('error', (err) => {
      req.ctx.log.error({ err, attachment: String(attachment._id) }, 'attachment stream failed');
      res.destroy(err);
    });
    stream.pipe(res);
  });

  return router;
}
