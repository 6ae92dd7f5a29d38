import { Router, type Request, type Response } from 'express';
import { DateTime } from 'luxon';
import { webhookEventTypes } from '../../../models/webhook-endpoint.js';
import { listTenants } from '../../domain/tenants/tenants.js';
import { attemptProblem } from '../../domain/webhooks/attempt-problem.js';
import { listAttempts } from '../../domain/webhooks/list-attempts.js';
import { getEndpoint, listEndpoints } from '../../domain/webhooks/list-endpoints.js';
import { registerEndpoint, registerEndpointSchema } from '../../domain/webhooks/register-endpoint.js';
import { replayEvents, replayEventsSchema } from '../../domain/webhooks/replay-events.js';
import { rotateSecret } from '../../domain/webhooks/rotate-secret.js';
import { sendTestEvent } from '../../domain/webhooks/send-test-event.js';
import { updateEndpoint, updateEndpointSchema } from '../../domain/webhooks/update-endpoint.js';
import { t } from '../../i18n/i18n.js';
import { backWithConflict, handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';

/** The events an endpoint may choose, with their catalogue keys (`webhooks.events.*`). */
const eventChoices = webhookEventTypes.map((type) => ({
  type,
  key: `webhooks.events.${type.replace('.', '_')}`,
}));

const listOf = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v ? [String(v)] : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The replay of one event (the schema's first form): its id refused on its own field. */
const [oneEventSchema] = replayEventsSchema.options;

/** A form's endpoint fields as the domain schemas take them (checkboxes: absent means no). */
const endpointForm = (body: Record<string, unknown>) => ({
  url: text(body.url) ?? '',
  description: text(body.description) ?? '',
  events: listOf(body.events),
  orderedPerTicket: body.orderedPerTicket === 'true',
});

/** A `datetime-local` value read in the reader's time zone, as the ISO instant the domain takes. */
const instantOf = (value: unknown, zone: string): string =>
  (typeof value === 'string' && value ? DateTime.fromISO(value, { zone }).toISO() : null) ?? '';

/**
 * The webhook pages (permission `webhooks.manage`): a client admin's company's endpoints, a
 * provider admin's for any client. Thin over server/domain/webhooks/ (the API's operations): list
 * and register (the secret is shown on the answer to the registering POST and never again), one
 * endpoint's settings, state, secret rotation (the new secret shown once), test event, attempt
 * history (newest first, paged) and replay (one event, or every failed one in a time range).
 */
// Long function: a route table: many short handlers.
export function webhookPageRoutes(): Router {
  const router = Router();
  router.use('/webhooks', routePermission('webhooks.manage'));

  const listLocals = async (req: Request) => {
    const staff = req.ctx.actor.kind === 'user' && req.ctx.actor.tenantId === null;
    const tenants = staff ? await listTenants(req.ctx) : [];
    const names = new Map(tenants.map((tn) => [String(tn._id), tn.legalName]));
    const endpoints = (await listEndpoints(req.ctx)).map((ep) => ({ ...ep, client: names.get(ep.tenantId) }));
    return {
      title: t(req.locale, 'webhook_pages.title'),
      endpoints,
      tenants: tenants.map((tn) => ({ id: String(tn._id), name: tn.legalName })),
      chooseTenant: staff,
      eventChoices,
    };
  };

  const endpointLocals = async (req: Request, res: Response, id: string) => {
    const endpoint = await getEndpoint(req.ctx, id);
    const before = text(req.query.before);
    const attempts = await listAttempts(req.ctx, id, {
      limit: 50,
      ...(before && /^[0-9a-f]{24}$/.test(before) ? { before } : {}),
    });
    return {
      title: t(req.locale, 'webhook_pages.endpoint_title', { url: endpoint.url }),
      endpoint,
      // A failed attempt's problem in the reader's words, its technical text beside it.
      attempts: attempts.data.map((a) => ({ ...a, problem: attemptProblem(a.error) })),
      nextBefore: attempts.nextBefore,
      eventChoices,
      timeZone: res.locals.timeZone as string,
    };
  };
  const endpointValues = (ep: Awaited<ReturnType<typeof getEndpoint>>) => ({
    url: ep.url,
    description: ep.description,
    events: ep.events,
    orderedPerTicket: ep.orderedPerTicket,
  });

  router.get('/webhooks', async (req, res) => {
    res.render('webhooks/list', { ...(await listLocals(req)), values: { events: [] } });
  });

  router.post('/webhooks', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await handleForm(
      req,
      res,
      'webhooks/list',
      () => listLocals(req),
      async () => {
        const input = parseInput(registerEndpointSchema, {
          ...endpointForm(body),
          ...(text(body.tenantId) ? { tenantId: text(body.tenantId) } : {}),
        });
        const created = await registerEndpoint(req.ctx, input);
        res.set('Cache-Control', 'no-store');
        res.status(201).render('webhooks/list', {
          ...(await listLocals(req)),
          values: { events: [] },
          created,
        });
      },
    );
  });

  router.get('/webhooks/:id', async (req, res) => {
    const locals = await endpointLocals(req, res, req.params.id);
    res.render('webhooks/endpoint', { ...locals, values: endpointValues(locals.endpoint) });
  });

  router.post('/webhooks/:id', async (req, res) => {
    const id = req.params.id;
    const locals = await endpointLocals(req, res, id);
    await handleForm(req, res, 'webhooks/endpoint', locals, async () => {
      await updateEndpoint(
        req.ctx,
        id,
        parseInput(updateEndpointSchema, endpointForm(req.body as Record<string, unknown>)),
      );
      req.session.flash = { kind: 'ok', key: 'webhook_pages.saved' };
      res.redirect(`/webhooks/${id}`);
    });
  });

  router.post('/webhooks/:id/state', async (req, res) => {
    const id = req.params.id;
    const { state } = parseInput(updateEndpointSchema.pick({ state: true }).required(), req.body);
    try {
      await updateEndpoint(req.ctx, id, { state });
    } catch (err) {
      backWithConflict(req, res, `/webhooks/${id}`, err);
      return;
    }
    req.session.flash = {
      kind: 'ok',
      key: state === 'active' ? 'webhook_pages.enabled' : 'webhook_pages.disabled',
    };
    res.redirect(`/webhooks/${id}`);
  });

  router.post('/webhooks/:id/rotate-secret', async (req, res) => {
    const id = req.params.id;
    let rotated;
    try {
      rotated = await rotateSecret(req.ctx, id);
    } catch (err) {
      backWithConflict(req, res, `/webhooks/${id}`, err);
      return;
    }
    const locals = await endpointLocals(req, res, id);
    res.set('Cache-Control', 'no-store');
    res.render('webhooks/endpoint', {
      ...locals,
      values: endpointValues(locals.endpoint),
      secret: rotated.secret,
    });
  });

  router.post('/webhooks/:id/test', async (req, res) => {
    const id = req.params.id;
    try {
      await sendTestEvent(req.ctx, id);
    } catch (err) {
      backWithConflict(req, res, `/webhooks/${id}`, err);
      return;
    }
    req.session.flash = { kind: 'ok', key: 'webhook_pages.test_sent' };
    res.redirect(`/webhooks/${id}`);
  });

  router.post('/webhooks/:id/replay', async (req, res) => {
    const id = req.params.id;
    const body = req.body as Record<string, unknown>;
    const zone = res.locals.timeZone as string;
    await handleForm(
      req,
      res,
      'webhooks/endpoint',
      // The form again shows the range as typed; the settings form above it, the endpoint's.
      async () => {
        const locals = await endpointLocals(req, res, id);
        return { ...locals, endpointSettings: endpointValues(locals.endpoint) };
      },
      async () => {
        // One event when an id is given at all (a repeated one is refused on it, not taken for a
        // range), else the range.
        const input =
          body.eventId !== undefined && body.eventId !== ''
            ? parseInput(oneEventSchema, { eventId: body.eventId })
            : parseInput(replayEventsSchema, {
                from: instantOf(body.from, zone),
                to: instantOf(body.to, zone),
              });
        let replayed: number;
        try {
          ({ replayed } = await replayEvents(req.ctx, id, input));
        } catch (err) {
          backWithConflict(req, res, `/webhooks/${id}`, err);
          return;
        }
        req.session.flash = {
          kind: 'ok',
          key: 'webhook_pages.replayed',
          params: { count: replayed },
        };
        res.redirect(`/webhooks/${id}`);
      },
    );
  });
  return router;
}
