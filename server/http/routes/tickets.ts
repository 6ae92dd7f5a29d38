import { Router, type Request } from 'express';
import { priorities, ticketTypes, type TicketType } from '../../../models/ticket.js';
import { can } from '../../domain/auth/policy.js';
import { isStaff } from '../../domain/context.js';
import { listAttachments, openAttachment } from '../../domain/tickets/attachments.js';
import { assignableStaff } from '../../domain/queues/claims.js';
import { slaView } from '../../domain/sla/view.js';
import { clientTenantId, createTicket } from '../../domain/tickets/create.js';
import { carryUploads, type PendingUploadView } from '../../domain/tickets/pending-uploads.js';
import { changeStatus } from '../../domain/tickets/lifecycle.js';
import { getTicket, listTickets, listTimeline } from '../../domain/tickets/queries.js';
import { einvoiceOfTicket } from '../../domain/einvoices/queries.js';
import { einvoiceView } from '../einvoice-view.js';
import { addReply } from '../../domain/tickets/replies.js';
import { ticketPageFlags } from '../../domain/tickets/page-flags.js';
import { timelineView } from '../../domain/tickets/timeline-view.js';
import {
  approvalOutcomes,
  complaintChannels,
  complaintSeverities,
  replySchema,
  statusChangeSchema,
  ticketInputSchema,
  ticketListQuerySchema,
} from '../../domain/tickets/schemas.js';
import { ticketUpdateSchema, updateTicket } from '../../domain/tickets/update.js';
import { commonCurrencies, currencyCodes } from '../../domain/tickets/currencies.js';
import { fieldsForForm, readFormFields } from '../../domain/tickets/numbers.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { AppError } from '../../errors/app-error.js';
import { conflictFlash } from '../../errors/present.js';
import { t, type Locale } from '../../i18n/i18n.js';
import { backWithConflict, handleForm, parseInput } from '../forms.js';
import { routePermission, requireSignIn } from '../middleware/guards.js';
import { formUploads } from '../uploads.js';

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

/** Everything the ticket page shows, for the caller's eyes only. */
async function ticketPage(req: Request, ref: string) {
  const ticket = await getTicket(req.ctx, ref);
  const [timeline, attachments, einvoice] = await Promise.all([
    listTimeline(req.ctx, ticket),
    listAttachments(req.ctx, ticket),
    ticket.type === 'invoice' ? einvoiceOfTicket(req.ctx, ticket) : null,
  ]);
  const flags = ticketPageFlags(req.ctx, ticket);
  return {
    title: `${ticket.number} · ${ticket.subject}`,
    renderedAt: new Date().toISOString(),
    sla: await slaView(ticket),
    ticket,
    fieldsView: ticket.fields,
    editValues: editValuesOf(ticket, ticket.type as TicketType, req.locale),
    timeline: timelineView(
      timeline,
      attachments,
      req.locale,
      String(req.res?.locals.timeZone ?? 'UTC'),
      ticket,
    ),
    attachments,
    einvoice: einvoice ? einvoiceView(einvoice, req.locale) : null,
    ...flags,
    assignable: flags.canAssign ? await assignableStaff(req.ctx, String(ticket.tenantId)) : [],
    choices,
  };
}

// Long function: a route table: many short handlers that share the page locals.
export function ticketRoutes(): Router {
  const router = Router();
  router.use(['/tickets', '/attachments'], requireSignIn);

  router.get('/tickets', async (req, res) => {
    const query = parseInput(ticketListQuerySchema, req.query);
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
  });

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

  router.post('/tickets/:ref/replies', async (req, res) => {
    const ref = req.params.ref;
    const body = req.body as Record<string, unknown>;
    const page: Awaited<ReturnType<typeof ticketPage>> & { pendingUploads?: PendingUploadView[] } =
      await ticketPage(req, ref);
    await handleForm(req, res, 'tickets/show', page, async () => {
      // A refused reply (empty, or someone answered meanwhile) comes back with its files attached.
      const uploads = formUploads(req);
      const outcome = await carryUploads(
        req.ctx,
        { sessionId: req.sessionID, tenantId: String(page.ticket.tenantId) },
        uploads,
        async (files) => {
          const input = parseInput(replySchema, body);
          await addReply(req.ctx, ref, input, files);
          return input;
        },
      );
      if (!outcome.ok) {
        page.pendingUploads = outcome.pending;
        throw outcome.error;
      }
      req.session.flash = {
        kind: 'ok',
        key: outcome.value.internal ? 'tickets.note_added' : 'tickets.reply_sent',
      };
      res.redirect(`/tickets/${ref}#latest`);
    });
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
    return {
      title: t(req.locale, 'ticket_edit.title', { number: ticket.number }),
      ticket,
      type: editType,
      typeChanged: editType !== ticket.type,
      choices,
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
