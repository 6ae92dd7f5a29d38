import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { Tenant } from '../../../models/tenant.js';
import { issueLinkToken } from '../../../server/domain/auth/link-tokens.js';
import { CsatRating } from '../../../models/csat-rating.js';
import { signSurveyLink } from '../../../server/domain/csat/link-token.js';
import { locales, t } from '../../../server/i18n/i18n.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeDraftImportBatch } from '../../support/csv-import.js';
import { makeUser, makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { newObjectId, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { listRoutes } from '../../support/routes.js';
import { bodies, tokenOf } from '../../support/api.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { Macro } from '../../../models/macro.js';
import { ctxOf, makeAttachment, makeTicket } from '../../support/tickets.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { updateEndpoint } from '../../../server/domain/webhooks/update-endpoint.js';
import { RecordLayoutModel } from '../../../models/quality.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import { Queue } from '../../../models/queue.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { findingId } from '../../../server/domain/tickets/finding-state.js';
import { SlaCalendar } from '../../../models/sla-calendar.js';
import { priorities, ticketTypes } from '../../../models/ticket.js';
import { requestPrivacyAction } from '../../../server/domain/privacy/request-privacy-action.js';
import { decidePrivacyRequest } from '../../../server/domain/privacy/decide-privacy-request.js';

/**
 * Who may call what: every route of the app, every caller, own- and foreign-tenant ids.
 * A route without a row here fails the suite, so a new route has to say who may use it.
 */

const roles = [
  'admin',
  'teamLead',
  'operatorBoth',
  'operatorAcme',
  'accountManager',
  'acmeAdmin',
  'acmeUser',
  'nordAdmin',
  'nordUser',
] as const;
type RoleKey = (typeof roles)[number];
type Caller = 'anonymous' | RoleKey;
const callers: Caller[] = ['anonymous', ...roles];

/** 302 to the sign-in page (with `next`), what an anonymous browser gets for a page. */
const LOGIN = 'login';
type Expected = number | typeof LOGIN;
type Expectations = Partial<Record<Caller, Expected>> & { others: Expected };

/** Pages: anonymous callers go to sign in, the listed roles get their status, everyone else 403. */
const page = (allowed: Partial<Record<RoleKey, Expected>>): Expectations => ({
  anonymous: LOGIN,
  ...allowed,
  others: 403,
});
/** Form posts: anonymous callers 401, the listed roles get their status, everyone else 403. */
const action = (allowed: Partial<Record<RoleKey, Expected>>): Expectations => ({
  anonymous: 401,
  ...allowed,
  others: 403,
});
const everyone = (status: Expected): Expectations => ({ others: status });

interface Cell {
  caller: Caller;
  /** The signed-in caller's own e-mail (anonymous: a spare account's). */
  email: string;
  /** The value put in the path's `:param`. */
  param: string;
}
type Fields = Record<string, string | string[]>;

interface Variant {
  /** Produces the `:param` value; called per cell, so state-changing rows get a fresh target. */
  param: () => Promise<string> | string;
  expect: Expectations;
}

interface Row {
  method: 'GET' | 'POST' | 'PATCH' | 'USE';
  /** The express path pattern, exactly as the app registers it. */
  path: string;
  /** Static files and health checks: open to the world by design. */
  public?: true;
  /** What to request when the pattern alone is not a URL (static files). */
  url?: string;
  body?: (cell: Cell) => Promise<Fields> | Fields;
  /** The row ends the caller's session: use a separately signed-in agent for it. */
  ownAgent?: true;
  /** Puts back what the cell changed (shared targets only). */
  restore?: (cell: Cell) => Promise<void>;
  expect?: Expectations;
  variants?: Record<string, Variant>;
}

let tp: TestPortal;
let world: World;
let spare: { email: string };
const agents = new Map<Caller, Agent>();

const unique = (prefix: string): string => `${prefix}${randomBytes(4).toString('hex')}`;
const freshClient = async (tenant: 'acme' | 'nord'): Promise<string> =>
  String((await makeUser({ role: 'client_user', tenantId: world[tenant].id })).id);
const freshStaff = async (): Promise<string> =>
  String((await makeUser({ role: 'operator', tenantIds: [world.acme.id] })).id);
async function freshLink(purpose: 'reset' | 'invite'): Promise<string> {
  const user = await makeUser({
    role: 'client_user',
    tenantId: world.acme.id,
    status: purpose === 'invite' ? 'invited' : 'active',
  });
  return issueLinkToken(String(user.id), purpose);
}
/** A survey link of a fresh resolution of an Acme ticket (rated already, or not). */
async function freshSurvey(rated: boolean): Promise<string> {
  const ticketId = newObjectId();
  const expiresAt = new Date(Date.now() + 86_400_000);
  await CsatRating.create({
    tenantId: world.acme._id,
    ticketId,
    number: 'MATRIX-1',
    resolution: 3,
    resolvedAt: new Date(),
    expiresAt,
    type: 'complaint',
    priority: 'normal',
    score: rated ? 4 : null,
  });
  return signSurveyLink({ tenantId: world.acme.id, ticketId, resolution: 3, locale: 'en', expiresAt });
}
const forgedSurvey = (): string =>
  `${Buffer.from('{"a":"x"}').toString('base64url')}.${randomBytes(32).toString('base64url')}`;
const newPassword = (): Fields => ({ password: 'a-new-password-42', confirm: 'a-new-password-42' });
const tenantBody = (code: string, legalName = `${code} Ltd`): Fields => ({
  code,
  legalName,
  timeZone: 'Europe/Rome',
  locale: 'en',
});
/** The tenant's current values, so an allowed update changes nothing. */
async function currentTenantBody(id: string): Promise<Fields> {
  const tenant = /^[0-9a-f]{24}$/.test(id) ? await Tenant.findById(id).lean() : null;
  return tenant
    ? { code: tenant.code, legalName: tenant.legalName, timeZone: tenant.timeZone, locale: tenant.locale }
    : tenantBody(unique('x'));
}
const staffBody = (): Fields => ({
  name: 'Matrix Operator',
  role: 'operator',
  tenantIds: [String(world.acme.id)],
  locale: '',
});

/** Path params of tenants: own, foreign, missing, malformed. Only admins reach the handler. */
const tenantVariants = (shape: typeof page, status: Expected): Record<string, Variant> => ({
  Acme: { param: () => String(world.acme.id), expect: shape({ admin: status }) },
  Nordhavn: { param: () => String(world.nord.id), expect: shape({ admin: status }) },
  'no such client': { param: newObjectId, expect: shape({ admin: 404 }) },
  'malformed id': { param: () => 'not-an-id', expect: shape({ admin: 404 }) },
});

/** The CSV import's callers (permission tickets.open) and a fresh draft batch of the Acme user. */
const importers = (status: Expected) => ({
  acmeAdmin: status,
  acmeUser: status,
  nordAdmin: status,
  nordUser: status,
});
const acmeUserBatch = (): Promise<string> => makeDraftImportBatch(world.acme.id, world.users.acmeUser.id);

/** A fresh ticket per cell, so replies and status changes never depend on an earlier cell. */
const acmeTicket = async (): Promise<string> => (await makeTicket(world.users.acmeUser, world.acme)).number;
const nordTicket = async (): Promise<string> => (await makeTicket(world.users.nordUser, world.nord)).number;
const acmeAttachment = async (): Promise<string> => {
  const ticket = await makeTicket(world.users.acmeUser, world.acme);
  return String((await makeAttachment(world.users.acmeUser, world.acme, ticket))._id);
};
const nordAttachment = async (): Promise<string> => {
  const ticket = await makeTicket(world.users.nordUser, world.nord);
  return String((await makeAttachment(world.users.nordUser, world.nord, ticket))._id);
};

/**
 * Ticket paths: the ticket's own client people and every staff member serving its tenant reach
 * the handler; a foreign client and an operator not serving it get 404, never a hint.
 */
function ticketVariants(
  kind: 'page' | 'action',
  staffStatus: Expected,
  clientStatus: Expected,
): Record<string, Variant> {
  const anonymous = kind === 'page' ? LOGIN : 401;
  const staff = {
    admin: staffStatus,
    teamLead: staffStatus,
    operatorBoth: staffStatus,
    accountManager: staffStatus,
  };
  return {
    'Acme ticket': {
      param: acmeTicket,
      expect: {
        anonymous,
        ...staff,
        operatorAcme: staffStatus,
        acmeAdmin: clientStatus,
        acmeUser: clientStatus,
        others: 404,
      },
    },
    'Nordhavn ticket': {
      param: nordTicket,
      expect: { anonymous, ...staff, nordAdmin: clientStatus, nordUser: clientStatus, others: 404 },
    },
    'no such ticket': { param: () => 'ACME-999999', expect: { anonymous, others: 404 } },
    'malformed id': { param: () => '../etc', expect: { anonymous, others: 404 } },
  };
}

/** An e-invoice's error finding (as the intake stores it) and a fresh ticket of a client holding it. */
const matrixFinding = {
  severity: 'error' as const,
  rule: 'bpo.total',
  messageKey: 'einvoices.bpo.total',
  params: { total: '1.00', computed: '2.00', currency: 'EUR' },
};
async function findingTicket(tenant: 'acme' | 'nord'): Promise<string> {
  const requester = tenant === 'acme' ? world.users.acmeUser : world.users.nordUser;
  const ticket = await makeTicket(requester, world[tenant]);
  await EInvoiceRecord.create({
    tenantId: ticket.tenantId,
    fileHash: randomBytes(32).toString('hex'),
    bodyIndex: 0,
    ticketId: ticket._id,
    attachmentId: newObjectId(),
    filename: 'matrix.xml',
    format: 'fatturapa',
    kind: 'invoice',
    findings: [matrixFinding],
  });
  return ticket.number;
}

/** Webhook endpoints: client admins (their company's) and provider admins (any client's). */
const webhookManagers = (status: Expected) => ({ admin: status, acmeAdmin: status, nordAdmin: status });
/** A fresh, disabled endpoint of a client (registered as its admin would). */
async function disabledEndpoint(tenant: 'acme' | 'nord'): Promise<string> {
  const ctx = ctxOf(world.users[tenant === 'acme' ? 'acmeAdmin' : 'nordAdmin'], world[tenant]);
  const ep = await registerEndpoint(ctx, {
    url: `https://erp.${tenant}.example/hooks`,
    description: 'Matrix',
    events: ['ticket.created'],
    orderedPerTicket: false,
  });
  await updateEndpoint(ctx, ep.id, { state: 'disabled' });
  return ep.id;
}
const webhookVariants = (shape: typeof page, status: Expected): Record<string, Variant> => ({
  'Acme endpoint': {
    param: () => disabledEndpoint('acme'),
    expect: shape({ admin: status, acmeAdmin: status, nordAdmin: 404 }),
  },
  'Nordhavn endpoint': {
    param: () => disabledEndpoint('nord'),
    expect: shape({ admin: status, acmeAdmin: 404, nordAdmin: status }),
  },
  'no such endpoint': { param: newObjectId, expect: shape(webhookManagers(404)) },
  'malformed id': { param: () => 'not-an-id', expect: shape(webhookManagers(404)) },
});

/** Data subjects' requests: client admins make them for their company, provider admins decide and run them. */
const privacyRequesters = (status: Expected) => ({ admin: status, acmeAdmin: status, nordAdmin: status });
/** A fresh request of a client (made as its admin would), for a person of its own; approved when asked. */
async function privacyRequest(
  tenant: 'acme' | 'nord',
  kind: 'export' | 'erasure',
  approved = false,
): Promise<string> {
  const ctx = ctxOf(world.users[tenant === 'acme' ? 'acmeAdmin' : 'nordAdmin'], world[tenant]);
  const request = await requestPrivacyAction(ctx, { kind, email: `${unique('subject-')}@example.com` });
  if (approved)
    await decidePrivacyRequest(ctxOf(world.users.admin, null), String(request._id), { decision: 'approve' });
  return String(request._id);
}
/** The same request as its own client admin, a foreign one and an admin see it (the page, the archive). */
const privacyVariants = (
  shape: typeof page,
  status: Expected,
  kind: 'export' | 'erasure' = 'export',
  approved = false,
): Record<string, Variant> => ({
  'Acme request': {
    param: () => privacyRequest('acme', kind, approved),
    expect: shape({ admin: status, acmeAdmin: status, nordAdmin: 404 }),
  },
  'Nordhavn request': {
    param: () => privacyRequest('nord', kind, approved),
    expect: shape({ admin: status, acmeAdmin: 404, nordAdmin: status }),
  },
  'no such request': { param: newObjectId, expect: shape(privacyRequesters(404)) },
  'malformed id': { param: () => 'not-an-id', expect: shape(privacyRequesters(404)) },
});
/** Deciding and running: provider admins only (a client admin is refused before the request is read). */
const privacyRunVariants = (status: Expected, kind: 'export' | 'erasure'): Record<string, Variant> => ({
  'Acme request': { param: () => privacyRequest('acme', kind), expect: action({ admin: status }) },
  'Nordhavn request': { param: () => privacyRequest('nord', kind), expect: action({ admin: status }) },
  'no such request': { param: newObjectId, expect: action({ admin: 404 }) },
  'malformed id': { param: () => 'not-an-id', expect: action({ admin: 404 }) },
});

/** Queues: the people who work them (admins, team leads, operators), and their managers. */
const workers = (status: Expected) => ({
  admin: status,
  teamLead: status,
  operatorBoth: status,
  operatorAcme: status,
});
const managers = (status: Expected) => ({ admin: status, teamLead: status });
const anyTenantQueue = async (): Promise<string> =>
  String((await Queue.create({ name: 'Matrix all', key: unique('matrix-all-') }))._id);
const nordQueue = async (): Promise<string> =>
  String(
    (
      await Queue.create({
        name: 'Matrix Nordhavn',
        key: unique('matrix-nord-'),
        tenantIds: [world.nord._id],
      })
    )._id,
  );
const queueVariants = (shape: typeof page, status: Expected): Record<string, Variant> => ({
  'all-clients queue': { param: anyTenantQueue, expect: shape(workers(status)) },
  'Nordhavn queue': { param: nordQueue, expect: shape({ ...workers(status), operatorAcme: 404 }) },
  'no such queue': { param: newObjectId, expect: shape(workers(404)) },
  'malformed id': { param: () => 'not-an-id', expect: shape(workers(404)) },
});
const workerTicketVariants = (
  status: Expected,
  who: (s: Expected) => Partial<Record<RoleKey, Expected>> = workers,
): Record<string, Variant> => ({
  'Acme ticket': { param: acmeTicket, expect: action(who(status)) },
  'Nordhavn ticket': {
    param: nordTicket,
    expect: action({ ...who(status), ...(who === workers ? { operatorAcme: 404 } : {}) }),
  },
  'no such ticket': { param: () => 'ACME-999999', expect: action(who(404)) },
});

/** Macros: a fresh one per cell (every client, or Nordhavn's), and the form that saves one. */
const macroBody = (name: string): Fields => ({
  name,
  type: '',
  body_en: 'Hello {{requester.name}}',
  body_it: 'Buongiorno {{requester.name}}',
  body_da: 'Goddag {{requester.name}}',
});
const anyTenantMacro = async (): Promise<string> =>
  String(
    (
      await Macro.create({
        tenantId: null,
        name: unique('Matrix all '),
        body: { en: 'Hello {{requester.name}}', it: 'Ciao {{requester.name}}', da: 'Hej {{requester.name}}' },
      })
    )._id,
  );
const nordMacro = async (): Promise<string> =>
  String(
    (await Macro.create({ tenantId: world.nord._id, name: unique('Matrix Nordhavn '), body: { en: 'Hi' } }))
      ._id,
  );
const macroVariants = (shape: typeof page, status: Expected): Record<string, Variant> => ({
  'all-clients macro': { param: anyTenantMacro, expect: shape(managers(status)) },
  'Nordhavn macro': { param: nordMacro, expect: shape(managers(status)) },
  'no such macro': { param: newObjectId, expect: shape(managers(404)) },
  'malformed id': { param: () => 'not-an-id', expect: shape(managers(404)) },
});
/** A worker's page about a ticket: like workerTicketVariants, anonymous browsers go to sign in. */
const workerTicketPages = (status: Expected): Record<string, Variant> => ({
  'Acme ticket': { param: acmeTicket, expect: page(workers(status)) },
  'Nordhavn ticket': { param: nordTicket, expect: page({ ...workers(status), operatorAcme: 404 }) },
  'no such ticket': { param: () => 'ACME-999999', expect: page(workers(404)) },
});

/** Record layouts (team leads and admins): a fresh Acme layout per cell, and the form that saves one. */
const layoutFields =
  'ref; Reference; text; required; major; 40\namount; Amount; number; required; critical; 2 0..';
/**
 * A fresh ticket of a client with a batch being keyed (one record keyed) on a layout of that
 * client, so the keying routes reach the batch itself: a foreign operator's 404 is then the
 * ticket's, not the missing batch's.
 */
async function batchTicket(tenant: 'acme' | 'nord'): Promise<string> {
  const requester = tenant === 'acme' ? world.users.acmeUser : world.users.nordUser;
  const ticket = await createTicket(
    ctxOf(requester, world[tenant]),
    ticketInputSchema.parse(bodies.dataEntry()),
    'portal',
  );
  const keyer = ctxOf(world.users.operatorBoth, null);
  const layout = await saveLayout(ctxOf(world.users.admin, null), String(world[tenant].id), {
    name: unique('Matrix batch '),
    aql: { critical: 0.65, major: 1, minor: 2.5 },
    fields: [{ key: 'ref', label: 'Reference', type: 'text' }],
  });
  await startBatch(keyer, ticket.number, String(layout._id));
  await keyRecord(keyer, ticket.number, { values: { ref: 'R-1' } });
  return ticket.number;
}
/** Keying routes on tickets holding a batch: the workers of the client's tenant, a foreign operator 404. */
const batchVariants = (
  shape: typeof page,
  status: Expected,
  who: (s: Expected) => Partial<Record<RoleKey, Expected>> = workers,
): Record<string, Variant> => ({
  'Acme batch': { param: () => batchTicket('acme'), expect: shape(who(status)) },
  'Nordhavn batch': {
    param: () => batchTicket('nord'),
    expect: shape({ ...who(status), ...(who === workers ? { operatorAcme: 404 } : {}) }),
  },
});
const nordLayout = async (): Promise<string> =>
  String(
    (
      await saveLayout(ctxOf(world.users.admin, null), String(world.nord.id), {
        name: unique('Matrix Nordhavn layout '),
        aql: { critical: 0.65, major: 1, minor: 2.5 },
        fields: [{ key: 'ref', label: 'Reference', type: 'text' }],
      })
    )._id,
  );
const acmeLayout = async (): Promise<string> =>
  String(
    (
      await saveLayout(ctxOf(world.users.admin, null), String(world.acme.id), {
        name: unique('Matrix layout '),
        aql: { critical: 0.65, major: 1, minor: 2.5 },
        fields: [{ key: 'ref', label: 'Reference', type: 'text' }],
      })
    )._id,
  );
async function layoutBody(c: Cell): Promise<Fields> {
  const current = /^[0-9a-f]{24}$/.test(c.param)
    ? await RecordLayoutModel.findOne({ _id: c.param }).setOptions({ allTenants: true }).lean()
    : null;
  return {
    tenantId: String(world.acme.id),
    name: unique('Matrix layout '),
    version: String(current?.version ?? 1),
    inspectionLevel: 'II',
    'aql.critical': '0.65',
    'aql.major': '1',
    'aql.minor': '2.5',
    fieldsText: layoutFields,
  };
}

/** SLA contracts: account managers and admins, for the clients they serve (admins: all). */
const slaManagers = (status: Expected) => ({ admin: status, accountManager: status });
const slaVariants = (shape: typeof page, status: Expected): Record<string, Variant> => ({
  Acme: { param: () => String(world.acme.id), expect: shape(slaManagers(status)) },
  Nordhavn: { param: () => String(world.nord.id), expect: shape(slaManagers(status)) },
  'no such client': { param: newObjectId, expect: shape(slaManagers(404)) },
  'malformed id': { param: () => 'not-an-id', expect: shape(slaManagers(404)) },
});
const slaCalendarBody = (): Fields => ({
  name: 'Matrix hours',
  timeZone: 'Europe/Rome',
  'hours.1': '09:00-18:00',
});
/** A valid retention form: every kind on its country's default, Danish calendar year. */
const retentionBody = (): Fields => ({
  country: 'DK',
  financialYearEnd: '12-31',
  invoice_files_mode: 'default',
  attachments_mode: 'default',
  tickets_mode: 'own',
  tickets_years: '6',
  tickets_months: '0',
  tickets_start: 'ticket_closed',
  inbound_mail_mode: 'default',
  audit_mode: 'default',
});
/** A valid policy (each allowed save is a new version); targets need the client's calendar first. */
async function slaPolicyBody(c: Cell): Promise<Fields> {
  if (/^[0-9a-f]{24}$/.test(c.param) && (await Tenant.exists({ _id: c.param })))
    await SlaCalendar.updateOne(
      { tenantId: c.param },
      {
        $setOnInsert: {
          name: 'Matrix hours',
          timeZone: 'Europe/Rome',
          weekly: [{ day: 1, from: '09:00', to: '18:00' }],
        },
      },
      { upsert: true },
    );
  const body: Fields = { warnAt: '75, 90' };
  for (const type of ticketTypes)
    for (const priority of priorities) {
      body[`targets.${type}.${priority}.firstResponse`] = '2';
      body[`targets.${type}.${priority}.resolution`] = '16';
    }
  return body;
}

/**
 * SLA reports (permission reports.read): staff reporters for the clients they serve (admins: all),
 * a client admin for their own company only; a foreign or unknown client is 404.
 */
const reporters = (status: Expected) => ({ admin: status, teamLead: status, accountManager: status });
const reportVariants = (status: Expected): Record<string, Variant> => ({
  Acme: {
    param: () => String(world.acme.id),
    expect: page({ ...reporters(status), acmeAdmin: status, nordAdmin: 404 }),
  },
  Nordhavn: {
    param: () => String(world.nord.id),
    expect: page({ ...reporters(status), acmeAdmin: 404, nordAdmin: status }),
  },
  'no such client': {
    param: newObjectId,
    expect: page({ ...reporters(404), acmeAdmin: 404, nordAdmin: 404 }),
  },
  'malformed id': {
    param: () => 'not-an-id',
    expect: page({ ...reporters(404), acmeAdmin: 404, nordAdmin: 404 }),
  },
});
const reportTableNames = ['compliance', 'breaches', 'volumes', 'times', 'ageing', 'trend', 'accuracy'];

/**
 * Monthly client statements (permission reports.statement): account managers and admins for the
 * clients they serve, a client admin for their own company only; a foreign or unknown client is 404.
 */
const statementReaders = (status: Expected) => ({ admin: status, accountManager: status });
const statementVariants = (status: Expected): Record<string, Variant> => ({
  Acme: {
    param: () => String(world.acme.id),
    expect: page({ ...statementReaders(status), acmeAdmin: status, nordAdmin: 404 }),
  },
  Nordhavn: {
    param: () => String(world.nord.id),
    expect: page({ ...statementReaders(status), acmeAdmin: 404, nordAdmin: status }),
  },
  'no such client': {
    param: newObjectId,
    expect: page({ ...statementReaders(404), acmeAdmin: 404, nordAdmin: 404 }),
  },
  'malformed id': {
    param: () => 'not-an-id',
    expect: page({ ...statementReaders(404), acmeAdmin: 404, nordAdmin: 404 }),
  },
});
const statementTableNames = [
  'volumes',
  'records',
  'outcomes',
  'amounts',
  'satisfaction',
  'quality',
  'accuracy',
];

const table: Row[] = [
  { method: 'USE', path: '/static', public: true, url: '/static/css/app.css', expect: everyone(200) },
  // Chart.js's browser build, straight from its package.
  {
    method: 'USE',
    path: '/vendor/chart.js',
    public: true,
    url: '/vendor/chart.js/chart.umd.min.js',
    expect: everyone(200),
  },
  { method: 'GET', path: '/healthz', public: true, expect: everyone(200) },
  { method: 'GET', path: '/readyz', public: true, expect: everyone(200) },

  // Signing in and out, and the mailed links: for everyone.
  { method: 'GET', path: '/login', expect: { anonymous: 200, others: 302 } },
  {
    method: 'POST',
    path: '/login',
    ownAgent: true,
    body: (c) => ({ email: c.email, password: PASSWORD }),
    expect: everyone(302),
  },
  { method: 'POST', path: '/logout', ownAgent: true, expect: everyone(302) },
  { method: 'GET', path: '/password/forgot', expect: everyone(200) },
  {
    method: 'POST',
    path: '/password/forgot',
    body: () => ({ email: `${unique('nobody-')}@example.test` }),
    expect: everyone(200),
  },
  {
    method: 'GET',
    path: '/password/reset/:token',
    variants: {
      'valid reset link': { param: () => freshLink('reset'), expect: everyone(200) },
      'unknown link': { param: () => randomBytes(32).toString('base64url'), expect: everyone(404) },
      'invitation link': { param: () => freshLink('invite'), expect: everyone(404) },
    },
  },
  {
    method: 'POST',
    path: '/password/reset/:token',
    body: newPassword,
    variants: {
      'valid reset link': { param: () => freshLink('reset'), expect: everyone(302) },
      'unknown link': { param: () => randomBytes(32).toString('base64url'), expect: everyone(404) },
      'invitation link': { param: () => freshLink('invite'), expect: everyone(404) },
    },
  },
  {
    method: 'GET',
    path: '/invite/:token',
    variants: {
      'valid invitation': { param: () => freshLink('invite'), expect: everyone(200) },
      'reset link': { param: () => freshLink('reset'), expect: everyone(404) },
    },
  },
  {
    method: 'POST',
    path: '/invite/:token',
    body: newPassword,
    variants: {
      'valid invitation': { param: () => freshLink('invite'), expect: everyone(302) },
      'reset link': { param: () => freshLink('reset'), expect: everyone(404) },
    },
  },

  // The satisfaction survey of a resolved mail: the signed link is the authority, for everyone.
  {
    method: 'GET',
    path: '/csat/:token',
    variants: {
      'valid survey link': { param: () => freshSurvey(false), expect: everyone(200) },
      'forged link': { param: forgedSurvey, expect: everyone(404) },
    },
  },
  {
    method: 'POST',
    path: '/csat/:token',
    body: () => ({ score: '3' }),
    variants: {
      'valid survey link': { param: () => freshSurvey(false), expect: everyone(303) },
      'forged link': { param: forgedSurvey, expect: everyone(404) },
    },
  },
  {
    method: 'GET',
    path: '/csat/:token/comment',
    variants: {
      'rated survey': { param: () => freshSurvey(true), expect: everyone(200) },
      'not rated yet': { param: () => freshSurvey(false), expect: everyone(302) },
      'forged link': { param: forgedSurvey, expect: everyone(404) },
    },
  },
  {
    method: 'POST',
    path: '/csat/:token/comment',
    body: () => ({ comment: 'Fine.' }),
    variants: {
      'rated survey': { param: () => freshSurvey(true), expect: everyone(200) },
      'forged link': { param: forgedSurvey, expect: everyone(404) },
    },
  },

  { method: 'GET', path: '/', expect: { anonymous: LOGIN, others: 200 } },

  // A client admin's own team.
  { method: 'GET', path: '/team', expect: page({ acmeAdmin: 200, nordAdmin: 200 }) },
  {
    method: 'POST',
    path: '/team',
    body: () => ({
      name: 'Matrix Colleague',
      email: `${unique('colleague-')}@example.test`,
      role: 'client_user',
    }),
    expect: action({ acmeAdmin: 302, nordAdmin: 302 }),
  },
  {
    method: 'POST',
    path: '/team/:id/status',
    body: () => ({ status: 'disabled' }),
    variants: {
      'Acme user': { param: () => freshClient('acme'), expect: action({ acmeAdmin: 302, nordAdmin: 404 }) },
      'Nordhavn user': {
        param: () => freshClient('nord'),
        expect: action({ acmeAdmin: 404, nordAdmin: 302 }),
      },
      'staff member': { param: freshStaff, expect: action({ acmeAdmin: 404, nordAdmin: 404 }) },
      'no such user': { param: newObjectId, expect: action({ acmeAdmin: 404, nordAdmin: 404 }) },
      'malformed id': { param: () => 'not-an-id', expect: action({ acmeAdmin: 404, nordAdmin: 404 }) },
    },
  },

  // Provider administration.
  { method: 'GET', path: '/admin/tenants', expect: page({ admin: 200 }) },
  { method: 'GET', path: '/admin/tenants/new', expect: page({ admin: 200 }) },
  {
    method: 'POST',
    path: '/admin/tenants',
    body: () => tenantBody(unique('m')),
    expect: action({ admin: 302 }),
  },
  { method: 'GET', path: '/admin/tenants/:id', variants: tenantVariants(page, 200) },
  {
    method: 'POST',
    path: '/admin/tenants/:id',
    body: (c) => currentTenantBody(c.param),
    variants: tenantVariants(action, 302),
  },
  {
    method: 'POST',
    path: '/admin/tenants/:id/status',
    body: () => ({ status: 'suspended' }),
    restore: async (c) => {
      if (/^[0-9a-f]{24}$/.test(c.param))
        await Tenant.updateOne({ _id: c.param }, { $set: { status: 'active' } });
    },
    variants: tenantVariants(action, 302),
  },
  { method: 'GET', path: '/admin/staff', expect: page({ admin: 200 }) },
  { method: 'GET', path: '/admin/staff/new', expect: page({ admin: 200 }) },
  {
    method: 'POST',
    path: '/admin/staff',
    body: () => ({ ...staffBody(), email: `${unique('staff-')}@example.test` }),
    expect: action({ admin: 302 }),
  },
  {
    method: 'GET',
    path: '/admin/staff/:id',
    variants: {
      'staff member': { param: () => String(world.users.operatorAcme.id), expect: page({ admin: 200 }) },
      'client user': { param: () => String(world.users.acmeUser.id), expect: page({ admin: 404 }) },
      'no such user': { param: newObjectId, expect: page({ admin: 404 }) },
      'malformed id': { param: () => 'not-an-id', expect: page({ admin: 404 }) },
    },
  },
  {
    method: 'POST',
    path: '/admin/staff/:id',
    body: staffBody,
    variants: {
      'staff member': { param: freshStaff, expect: action({ admin: 302 }) },
      'client user': { param: () => freshClient('acme'), expect: action({ admin: 404 }) },
      'no such user': { param: newObjectId, expect: action({ admin: 404 }) },
    },
  },
  {
    method: 'POST',
    path: '/admin/staff/:id/status',
    body: () => ({ status: 'disabled' }),
    variants: {
      'staff member': { param: freshStaff, expect: action({ admin: 302 }) },
      'client user': { param: () => freshClient('nord'), expect: action({ admin: 404 }) },
      'no such user': { param: newObjectId, expect: action({ admin: 404 }) },
      'malformed id': { param: () => 'not-an-id', expect: action({ admin: 404 }) },
    },
  },
  { method: 'GET', path: '/admin/audit', expect: page({ admin: 200 }) },
  { method: 'GET', path: '/admin/audit/verify', expect: page({ admin: 200 }) },
  { method: 'GET', path: '/admin/jobs', expect: page({ admin: 200 }) },

  // Tickets: clients see their company's, staff the tenants they serve; foreign ones are 404.
  { method: 'GET', path: '/tickets', expect: { anonymous: LOGIN, others: 200 } },
  { method: 'GET', path: '/tickets/new', expect: page(importers(200)) },
  {
    method: 'GET',
    path: '/tickets/new/:type',
    variants: {
      invoice: { param: () => 'invoice', expect: page(importers(200)) },
      'no such type': { param: () => 'lottery', expect: page(importers(404)) },
    },
  },
  {
    method: 'POST',
    path: '/tickets/new/:type',
    body: () => ({
      subject: 'Matrix complaint',
      priority: 'normal',
      'fields.customerName': 'Matrix Customer',
      'fields.customerReference': 'M-1',
      'fields.channel': 'web',
      'fields.category': 'Test',
      'fields.severity': 'low',
    }),
    variants: {
      complaint: { param: () => 'complaint', expect: action(importers(302)) },
      'no such type': { param: () => 'lottery', expect: action(importers(404)) },
    },
  },
  { method: 'GET', path: '/tickets/:ref', variants: ticketVariants('page', 200, 200) },
  {
    method: 'POST',
    path: '/tickets/:ref/replies',
    body: () => ({ body: 'A reply from the matrix' }),
    variants: ticketVariants('action', 302, 302),
  },
  {
    method: 'POST',
    path: '/tickets/:ref/status',
    body: () => ({ status: 'resolved' }),
    // Staff may resolve a new ticket, and so may its client (the requester, their admin); a foreign client gets 404.
    variants: ticketVariants('action', 302, 302),
  },
  {
    method: 'GET',
    path: '/tickets/new/invoice/duplicate-check.json',
    url: '/tickets/new/invoice/duplicate-check.json?supplierVat=IT01234567897&invoiceNumber=M-1',
    expect: page(importers(200)),
  },
  {
    method: 'POST',
    path: '/tickets/:ref/close-duplicate',
    // The original is a fresh Acme ticket: a Nordhavn ticket is refused as another client's (409 flash).
    body: async () => ({ original: await acmeTicket() }),
    variants: {
      'Acme ticket': {
        param: acmeTicket,
        expect: action({ admin: 302, teamLead: 302, operatorBoth: 302, operatorAcme: 302 }),
      },
      'Nordhavn ticket': {
        param: nordTicket,
        expect: action({ admin: 302, teamLead: 302, operatorBoth: 302, operatorAcme: 404 }),
      },
      'no such ticket': {
        param: () => 'ACME-999999',
        expect: action({ admin: 404, teamLead: 404, operatorBoth: 404, operatorAcme: 404 }),
      },
    },
  },
  {
    method: 'POST',
    path: '/tickets/:ref/finding-overrides',
    // Team leads and admins (invoices.override_findings) of a client they serve; one override per cell.
    body: () => ({ finding: findingId(matrixFinding), reason: 'Checked with the supplier' }),
    variants: {
      'Acme e-invoice': { param: () => findingTicket('acme'), expect: action({ admin: 302, teamLead: 302 }) },
      'Nordhavn e-invoice': {
        param: () => findingTicket('nord'),
        expect: action({ admin: 302, teamLead: 302 }),
      },
      'ticket without a file': { param: acmeTicket, expect: action({ admin: 404, teamLead: 404 }) },
      'no such ticket': { param: () => 'ACME-999999', expect: action({ admin: 404, teamLead: 404 }) },
    },
  },
  {
    method: 'POST',
    path: '/tickets/:ref/merge',
    body: async () => ({ into: await acmeTicket() }),
    variants: {
      'Acme ticket': {
        param: acmeTicket,
        expect: action({ admin: 302, teamLead: 302, operatorBoth: 302, operatorAcme: 302 }),
      },
      'Nordhavn ticket': {
        param: nordTicket,
        expect: action({ admin: 302, teamLead: 302, operatorBoth: 302, operatorAcme: 404 }),
      },
      'no such ticket': {
        param: () => 'ACME-999999',
        expect: action({ admin: 404, teamLead: 404, operatorBoth: 404, operatorAcme: 404 }),
      },
    },
  },
  {
    method: 'GET',
    path: '/tickets/:ref/edit',
    variants: {
      'Acme ticket': {
        param: acmeTicket,
        expect: page({ admin: 200, teamLead: 200, operatorBoth: 200, operatorAcme: 200 }),
      },
      'Nordhavn ticket': {
        param: nordTicket,
        expect: page({ admin: 200, teamLead: 200, operatorBoth: 200, operatorAcme: 404 }),
      },
      'no such ticket': {
        param: () => 'ACME-999999',
        expect: page({ admin: 404, teamLead: 404, operatorBoth: 404, operatorAcme: 404 }),
      },
    },
  },
  {
    method: 'POST',
    path: '/tickets/:ref/fields',
    body: () => ({ priority: 'high' }),
    variants: {
      'Acme ticket': {
        param: acmeTicket,
        expect: action({ admin: 302, teamLead: 302, operatorBoth: 302, operatorAcme: 302 }),
      },
      'Nordhavn ticket': {
        param: nordTicket,
        expect: action({ admin: 302, teamLead: 302, operatorBoth: 302, operatorAcme: 404 }),
      },
      'no such ticket': {
        param: () => 'ACME-999999',
        expect: action({ admin: 404, teamLead: 404, operatorBoth: 404, operatorAcme: 404 }),
      },
    },
  },
  {
    method: 'GET',
    path: '/attachments/:id',
    variants: {
      'Acme attachment': {
        param: acmeAttachment,
        expect: { anonymous: LOGIN, nordAdmin: 404, nordUser: 404, others: 200 },
      },
      'Nordhavn attachment': {
        param: nordAttachment,
        expect: { anonymous: LOGIN, acmeAdmin: 404, acmeUser: 404, operatorAcme: 404, others: 200 },
      },
      'no such attachment': { param: newObjectId, expect: { anonymous: LOGIN, others: 404 } },
      'malformed id': { param: () => 'not-an-id', expect: { anonymous: LOGIN, others: 404 } },
    },
  },

  // Queues: worked by operators, team leads and admins; defined by team leads and admins.
  { method: 'GET', path: '/queues', expect: page(workers(200)) },
  { method: 'GET', path: '/queues/manage', expect: page(managers(200)) },
  { method: 'GET', path: '/queues/manage/new', expect: page(managers(200)) },
  {
    method: 'POST',
    path: '/queues/manage',
    body: () => ({ name: unique('Matrix queue '), order: 'sla' }),
    expect: action(managers(302)),
  },
  {
    method: 'GET',
    path: '/queues/manage/:id',
    variants: {
      'a queue': { param: anyTenantQueue, expect: page(managers(200)) },
      'no such queue': { param: newObjectId, expect: page(managers(404)) },
    },
  },
  {
    method: 'POST',
    path: '/queues/manage/:id',
    body: () => ({ name: 'Matrix renamed', order: 'oldest', active: 'true' }),
    variants: {
      'a queue': { param: anyTenantQueue, expect: action(managers(302)) },
      'no such queue': { param: newObjectId, expect: action(managers(404)) },
    },
  },
  { method: 'GET', path: '/queues/:id', variants: queueVariants(page, 200) },
  { method: 'POST', path: '/queues/:id/next', variants: queueVariants(action, 302) },
  {
    method: 'POST',
    path: '/queues/:id/bulk',
    body: () => ({ tickets: 'ACME-999999', action: 'priority', priority: 'high' }),
    variants: queueVariants(action, 302),
  },
  { method: 'POST', path: '/tickets/:ref/take', variants: workerTicketVariants(302) },
  { method: 'POST', path: '/tickets/:ref/release', variants: workerTicketVariants(302) },
  {
    method: 'POST',
    path: '/tickets/:ref/assign',
    body: () => ({ userId: String(world.users.operatorBoth._id) }),
    variants: workerTicketVariants(302, managers),
  },

  // Macros: kept by team leads and admins (every client or one), applied by the people who work tickets.
  { method: 'GET', path: '/macros', expect: page(managers(200)) },
  { method: 'GET', path: '/macros/new', expect: page(managers(200)) },
  {
    method: 'POST',
    path: '/macros',
    body: () => macroBody(unique('Matrix macro ')),
    expect: action(managers(302)),
  },
  { method: 'GET', path: '/macros/:id', variants: macroVariants(page, 200) },
  {
    method: 'POST',
    path: '/macros/:id',
    body: () => macroBody(unique('Matrix macro renamed ')),
    variants: macroVariants(action, 302),
  },
  {
    method: 'POST',
    path: '/tickets/:ref/macro',
    body: async () => ({ macroId: await anyTenantMacro() }),
    variants: workerTicketVariants(302),
  },

  // Record layouts of the clients' data-entry work (issue #18): team leads and admins.
  { method: 'GET', path: '/layouts', expect: page(managers(200)) },
  { method: 'GET', path: '/layouts/new', expect: page(managers(200)) },
  { method: 'POST', path: '/layouts', body: layoutBody, expect: action(managers(302)) },
  {
    method: 'GET',
    path: '/layouts/:id',
    variants: {
      'an Acme layout': { param: acmeLayout, expect: page(managers(200)) },
      'a Nordhavn layout': { param: nordLayout, expect: page(managers(200)) },
      'no such layout': { param: newObjectId, expect: page(managers(404)) },
      'malformed id': { param: () => 'not-an-id', expect: page(managers(404)) },
    },
  },
  {
    method: 'POST',
    path: '/layouts/:id',
    body: layoutBody,
    variants: {
      'an Acme layout': { param: acmeLayout, expect: action(managers(302)) },
      'no such layout': { param: newObjectId, expect: action(managers(404)) },
    },
  },

  // Keying and inspection of a data-entry ticket's records (issue #18): the people who work queues.
  // A fresh complaint ticket has no batch: its pages render (the layout choice), actions on the
  // batch answer 404, starting one is refused (400: not a data-entry ticket).
  {
    method: 'GET',
    path: '/tickets/:ref/keying',
    variants: { ...workerTicketPages(200), ...batchVariants(page, 200) },
  },
  {
    method: 'POST',
    path: '/tickets/:ref/keying/start',
    body: () => ({ layoutId: newObjectId() }),
    variants: workerTicketVariants(400),
  },
  {
    method: 'POST',
    path: '/tickets/:ref/keying/records',
    body: () => ({ 'values.a': 'x' }),
    // On a batch, a field the layout lacks re-renders the form (422).
    variants: { ...workerTicketVariants(404), ...batchVariants(action, 422) },
  },
  // On a batch, no file goes back with why (302).
  {
    method: 'POST',
    path: '/tickets/:ref/keying/import',
    variants: { ...workerTicketVariants(404), ...batchVariants(action, 302) },
  },
  {
    method: 'POST',
    path: '/tickets/:ref/keying/finish',
    variants: { ...workerTicketVariants(404), ...batchVariants(action, 302) },
  },
  // Staff export a batch while it is keyed (only the client waits for its acceptance).
  {
    method: 'GET',
    path: '/tickets/:ref/keying/export.csv',
    variants: { ...workerTicketPages(404), ...batchVariants(page, 200) },
  },
  {
    method: 'GET',
    path: '/tickets/:ref/keying/export.xlsx',
    variants: { ...workerTicketPages(404), ...batchVariants(page, 200) },
  },
  { method: 'GET', path: '/tickets/:ref/keying/source', variants: workerTicketPages(404) },
  {
    method: 'GET',
    path: '/tickets/:ref/inspection',
    variants: { ...workerTicketPages(200), ...batchVariants(page, 200) },
  },
  {
    method: 'POST',
    path: '/tickets/:ref/inspection/records',
    body: () => ({ seq: '1' }),
    variants: workerTicketVariants(404),
  },
  { method: 'POST', path: '/tickets/:ref/inspection/close', variants: workerTicketVariants(404) },
  // Steering a client layout's inspection (ISO 2859-1 clause 9): team leads and admins
  // (quality.switching). A ticket without a batch answers 404.
  {
    method: 'POST',
    path: '/tickets/:ref/inspection/resume',
    body: () => ({ correctiveAction: 'Keyers retrained on VAT numbers.' }),
    variants: workerTicketVariants(404, managers),
  },
  {
    method: 'POST',
    path: '/tickets/:ref/inspection/reduced',
    body: () => ({ allow: 'true' }),
    variants: workerTicketVariants(404, managers),
  },
  // Double keying (issue #18 item 3): the second keying by the people who key, the differences
  // settled by team leads and admins (records.settle). A ticket without a batch answers 404.
  {
    method: 'GET',
    path: '/tickets/:ref/keying/second',
    variants: { ...workerTicketPages(404), ...batchVariants(page, 200) },
  },
  {
    method: 'POST',
    path: '/tickets/:ref/keying/second',
    body: () => ({ seq: '1', 'values.a': 'x' }),
    variants: workerTicketVariants(404),
  },
  {
    method: 'GET',
    path: '/tickets/:ref/differences',
    variants: {
      'Acme ticket': { param: acmeTicket, expect: page(managers(404)) },
      'Nordhavn ticket': { param: nordTicket, expect: page(managers(404)) },
      'no such ticket': { param: () => 'ACME-999999', expect: page(managers(404)) },
      ...batchVariants(page, 200, managers),
    },
  },
  {
    method: 'POST',
    path: '/tickets/:ref/differences',
    body: () => ({ seq: '1', 'choice.a': 'first' }),
    variants: workerTicketVariants(404, managers),
  },

  // SLA contracts: business hours and versioned targets, for account managers and admins.
  { method: 'GET', path: '/sla', expect: page(slaManagers(200)) },
  { method: 'GET', path: '/sla/:tenantId/calendar', variants: slaVariants(page, 200) },
  {
    method: 'POST',
    path: '/sla/:tenantId/calendar',
    body: slaCalendarBody,
    variants: slaVariants(action, 302),
  },
  { method: 'GET', path: '/sla/:tenantId/policy', variants: slaVariants(page, 200) },
  { method: 'POST', path: '/sla/:tenantId/policy', body: slaPolicyBody, variants: slaVariants(action, 302) },

  // Retention per client (issue #20): the same portfolio roles as SLA contracts.
  { method: 'GET', path: '/retention', expect: page(slaManagers(200)) },
  { method: 'GET', path: '/retention/purge-preview', expect: page(slaManagers(200)) },
  { method: 'GET', path: '/retention/:tenantId/holds', variants: slaVariants(page, 200) },
  // A ticket number the client does not have: the allowed get the form's field error, nothing is held.
  {
    method: 'POST',
    path: '/retention/:tenantId/holds',
    body: () => ({ scope: 'ticket', ticketNumber: 'NOPE-000001', reason: 'Matrix' }),
    variants: slaVariants(action, 422),
  },
  // A hold that does not exist (the path's second parameter is left as written): 404 for the allowed.
  {
    method: 'POST',
    path: '/retention/:tenantId/holds/:holdId/release',
    body: () => ({ reason: 'Matrix' }),
    variants: slaVariants(action, 404),
  },
  { method: 'GET', path: '/retention/:tenantId', variants: slaVariants(page, 200) },
  {
    method: 'POST',
    path: '/retention/:tenantId',
    body: retentionBody,
    variants: slaVariants(action, 302),
  },

  // Data subjects' requests (issue #20): a person's e-mail that is not one gets the form back (422).
  { method: 'GET', path: '/privacy', expect: page(privacyRequesters(200)) },
  {
    method: 'POST',
    path: '/privacy',
    body: () => ({ kind: 'export', email: 'not-an-address' }),
    expect: action(privacyRequesters(422)),
  },
  { method: 'GET', path: '/privacy/:id', variants: privacyVariants(page, 200) },
  {
    method: 'POST',
    path: '/privacy/:id/decide',
    body: () => ({ decision: 'reject' }),
    variants: privacyRunVariants(302, 'export'),
  },
  // An erasure not yet approved is not run: back to the request with the reason.
  { method: 'POST', path: '/privacy/:id/run', variants: privacyRunVariants(302, 'erasure') },
  { method: 'GET', path: '/privacy/:id/archive.zip', variants: privacyVariants(page, 200, 'export', true) },

  // SLA reports: the portfolio (client admins: their own report), one client's report and its CSV tables.
  { method: 'GET', path: '/reports', expect: page({ ...reporters(200), acmeAdmin: 200, nordAdmin: 200 }) },
  { method: 'GET', path: '/reports/:tenantId', variants: reportVariants(200) },
  ...reportTableNames.map((name): Row => ({
    method: 'GET',
    path: `/reports/:tenantId/export/${name}.csv`,
    variants: reportVariants(200),
  })),
  { method: 'GET', path: '/reports/:tenantId/export/report.pdf', variants: reportVariants(200) },

  // The operator view (team leads and admins, across the clients they serve) and its CSV.
  { method: 'GET', path: '/reports/operators', expect: page(managers(200)) },
  { method: 'GET', path: '/reports/operators/export.csv', expect: page(managers(200)) },
  // Customer satisfaction per client and per operator: the operator view's readers.
  { method: 'GET', path: '/reports/csat', expect: page(managers(200)) },
  { method: 'GET', path: '/reports/csat/export.csv', expect: page(managers(200)) },
  // Monthly client statements: the list (a client admin is sent on to their own), one client's statement and its CSV tables.
  {
    method: 'GET',
    path: '/reports/statements',
    expect: page({ ...statementReaders(200), acmeAdmin: 302, nordAdmin: 302 }),
  },
  { method: 'GET', path: '/reports/:tenantId/statement', variants: statementVariants(200) },
  ...statementTableNames.map((name): Row => ({
    method: 'GET',
    path: `/reports/:tenantId/statement/export/${name}.csv`,
    variants: statementVariants(200),
  })),

  // CSV import of data-entry tickets: client people, each sees only the batches they uploaded.
  { method: 'GET', path: '/tickets/import', expect: page(importers(200)) },
  { method: 'GET', path: '/tickets/import/template.csv', expect: page(importers(200)) },
  // Without a file the form comes back with 422.
  { method: 'POST', path: '/tickets/import', expect: action(importers(422)) },
  {
    method: 'GET',
    path: '/tickets/import/:id',
    variants: {
      "Acme user's batch": { param: acmeUserBatch, expect: page({ ...importers(404), acmeUser: 200 }) },
      'no such batch': { param: newObjectId, expect: page(importers(404)) },
      'malformed id': { param: () => 'not-an-id', expect: page(importers(404)) },
    },
  },
  {
    method: 'POST',
    path: '/tickets/import/:id/commit',
    variants: {
      "Acme user's batch": { param: acmeUserBatch, expect: action({ ...importers(404), acmeUser: 303 }) },
      'no such batch': { param: newObjectId, expect: action(importers(404)) },
    },
  },

  // API tokens: a client admin's own company's; a foreign or unknown token is 404.
  { method: 'GET', path: '/api-tokens', expect: page({ acmeAdmin: 200, nordAdmin: 200 }) },
  {
    method: 'POST',
    path: '/api-tokens',
    body: () => ({ name: 'Matrix token' }),
    expect: action({ acmeAdmin: 201, nordAdmin: 201 }),
  },
  {
    method: 'POST',
    path: '/api-tokens/:id/revoke',
    variants: {
      'Acme token': {
        param: async () => (await tokenOf(world.users.acmeAdmin)).id,
        expect: action({ acmeAdmin: 302, nordAdmin: 404 }),
      },
      'Nordhavn token': {
        param: async () => (await tokenOf(world.users.nordAdmin)).id,
        expect: action({ acmeAdmin: 404, nordAdmin: 302 }),
      },
      'no such token': { param: newObjectId, expect: action({ acmeAdmin: 404, nordAdmin: 404 }) },
      'malformed id': { param: () => 'not-an-id', expect: action({ acmeAdmin: 404, nordAdmin: 404 }) },
    },
  },

  // Webhook pages: client admins their company's endpoints, provider admins any client's; a
  // foreign or unknown endpoint is 404. The endpoints are disabled (nothing is sent anywhere).
  { method: 'GET', path: '/webhooks', expect: page(webhookManagers(200)) },
  // Without events the form comes back with 422.
  {
    method: 'POST',
    path: '/webhooks',
    body: () => ({ url: 'https://erp.example/h' }),
    expect: action(webhookManagers(422)),
  },
  { method: 'GET', path: '/webhooks/:id', variants: webhookVariants(page, 200) },
  {
    method: 'POST',
    path: '/webhooks/:id',
    body: () => ({ url: 'https://erp.example/h' }),
    variants: webhookVariants(action, 422),
  },
  {
    method: 'POST',
    path: '/webhooks/:id/state',
    body: () => ({ state: 'disabled' }),
    variants: webhookVariants(action, 302),
  },
  { method: 'POST', path: '/webhooks/:id/rotate-secret', variants: webhookVariants(action, 200) },
  // A disabled endpoint's test event is refused: back with the reason.
  { method: 'POST', path: '/webhooks/:id/test', variants: webhookVariants(action, 302) },
  {
    method: 'POST',
    path: '/webhooks/:id/replay',
    body: () => ({ from: '2026-01-01T00:00', to: '2026-01-02T00:00' }),
    variants: webhookVariants(action, 302),
  },

  // The REST API takes bearer tokens only: every session (and no session) gets 401; its
  // description and docs are public by design. (Token access: test/integration/http/api-*.test.ts.)
  { method: 'GET', path: '/api/v1/openapi.json', public: true, expect: everyone(200) },
  { method: 'GET', path: '/api/v1/docs', public: true, expect: everyone(200) },
  { method: 'POST', path: '/api/v1/tickets', expect: everyone(401) },
  { method: 'POST', path: '/api/v1/einvoices', expect: everyone(401) },
  { method: 'GET', path: '/api/v1/tickets', expect: everyone(401) },
  {
    method: 'GET',
    path: '/api/v1/tickets/:ref',
    variants: { 'any ticket': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'POST',
    path: '/api/v1/tickets/:ref/replies',
    variants: { 'any ticket': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'POST',
    path: '/api/v1/tickets/:ref/attachments',
    variants: { 'any ticket': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'POST',
    path: '/api/v1/tickets/:ref/records',
    variants: { 'any ticket': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'GET',
    path: '/api/v1/tickets/:ref/records',
    variants: { 'any ticket': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'GET',
    path: '/api/v1/attachments/:id',
    variants: { 'any attachment': { param: newObjectId, expect: everyone(401) } },
  },
  { method: 'GET', path: '/api/v1/webhook-endpoints', expect: everyone(401) },
  { method: 'POST', path: '/api/v1/webhook-endpoints', expect: everyone(401) },
  {
    method: 'GET',
    path: '/api/v1/webhook-endpoints/:endpointId',
    variants: { 'any endpoint': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'PATCH',
    path: '/api/v1/webhook-endpoints/:endpointId',
    variants: { 'any endpoint': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'POST',
    path: '/api/v1/webhook-endpoints/:endpointId/rotate-secret',
    variants: { 'any endpoint': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'POST',
    path: '/api/v1/webhook-endpoints/:endpointId/test',
    variants: { 'any endpoint': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'GET',
    path: '/api/v1/webhook-endpoints/:endpointId/attempts',
    variants: { 'any endpoint': { param: newObjectId, expect: everyone(401) } },
  },
  {
    method: 'POST',
    path: '/api/v1/webhook-endpoints/:endpointId/replay',
    variants: { 'any endpoint': { param: newObjectId, expect: everyone(401) } },
  },
];

const keyOf = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;
const expectedFor = (e: Expectations, caller: Caller): Expected => e[caller] ?? e.others;
const variantsOf = (row: Row): Array<[string, Variant]> =>
  row.variants
    ? Object.entries(row.variants)
    : [['', { param: () => '', expect: row.expect ?? everyone(200) }]];
const csrfMessages = locales.map((l) => t(l, 'errors.csrf'));

async function agentFor(caller: Caller, fresh: boolean): Promise<Agent> {
  if (caller === 'anonymous') return fresh ? supertest.agent(tp.url) : (agents.get(caller) as Agent);
  return fresh ? signedInAgent(tp.url, world.users[caller].email) : (agents.get(caller) as Agent);
}

/**
 * A form post with a valid CSRF token. The token of a session does not change until the session
 * does (sign-in, sign-out: those rows use agents of their own), so it is fetched once per agent.
 */
const tokens = new WeakMap<Agent, string>();
async function post(agent: Agent, url: string, fields: Fields) {
  let token = tokens.get(agent);
  if (!token) {
    // The light, sign-in-free form page gives every caller a token for their session.
    token = csrfFrom((await agent.get('/password/forgot').expect(200)).text);
    tokens.set(agent, token);
  }
  const body = new URLSearchParams({ _csrf: token });
  for (const [k, v] of Object.entries(fields))
    for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
  return agent.post(url).type('form').send(body.toString());
}

/** One request of the matrix; returns what was wrong with the answer, or null. */
async function runCell(
  row: Row,
  variant: Variant,
  caller: Caller,
): Promise<{ problem: string | null; body: string }> {
  const param = String(await variant.param());
  const cell: Cell = {
    caller,
    email: caller === 'anonymous' ? spare.email : world.users[caller].email,
    param,
  };
  const url = row.url ?? row.path.replace(/:\w+/, encodeURIComponent(param));
  const agent = await agentFor(caller, row.ownAgent === true);
  const res =
    row.method === 'POST'
      ? await post(agent, url, row.body ? await row.body(cell) : {})
      : row.method === 'PATCH'
        ? await agent.patch(url).send({})
        : await agent.get(url);
  await row.restore?.(cell);
  const expected = expectedFor(variant.expect, caller);
  const location = String(res.headers.location ?? '');
  const toSignIn = res.status === 302 && location.startsWith('/login?next=');
  const got = `${res.status}${res.status === 302 ? ` -> ${location}` : ''}`;
  let problem: string | null = null;
  if (expected === LOGIN) {
    if (!toSignIn) problem = `expected 302 to /login, got ${got}`;
  } else if (res.status !== expected) {
    problem = `expected ${expected}, got ${got}`;
  } else if (expected === 302 && toSignIn) {
    problem = `expected 302, got a redirect to sign in (${location})`;
  } else if (expected === 403 && csrfMessages.some((m) => textOf(res.text).includes(m))) {
    problem = 'expected the permission guard, got a CSRF refusal';
  }
  return { problem, body: res.text ?? '' };
}

/** Tenancy: what each tenant-bound caller must never see of the other tenant. */
function leaksOf(caller: Caller, body: string): string[] {
  const foreign =
    caller === 'nordUser' || caller === 'nordAdmin'
      ? world.acme
      : caller === 'operatorAcme'
        ? world.nord
        : null;
  if (!foreign) return [];
  const text = textOf(body);
  return [foreign.legalName, foreign.code].filter((s) => text.includes(s) || body.includes(s));
}

describe('access matrix: every route, every caller', function () {
  this.timeout(120_000);

  before(async () => {
    tp = await startTestPortal('access-matrix');
    world = await makeWorld();
    spare = await makeUser({ role: 'client_user', tenantId: world.nord.id });
    agents.set('anonymous', supertest.agent(tp.url));
    for (const role of roles) agents.set(role, await signedInAgent(tp.url, world.users[role].email));
  });
  after(() => tp?.stop());

  it('has a row for every route the app answers, and a route for every row', () => {
    const routes = listRoutes(tp.portal.server).map(keyOf);
    expect(routes.length, 'routes found in app.router.stack').to.be.greaterThan(20);
    const rows = table.map(keyOf);
    expect(
      routes.filter((r) => !rows.includes(r)),
      'routes without a row in the access matrix',
    ).to.deep.equal([]);
    expect(
      rows.filter((r) => !routes.includes(r)),
      'rows for routes the app does not have',
    ).to.deep.equal([]);
    expect(new Set(rows).size, 'one row per route').to.equal(rows.length);
    expect(
      table.filter((r) => r.public).map(keyOf),
      'only static files, health checks and the API description are public',
    ).to.have.members([
      'USE /static',
      'USE /vendor/chart.js',
      'GET /healthz',
      'GET /readyz',
      'GET /api/v1/openapi.json',
      'GET /api/v1/docs',
    ]);
  });

  for (const row of table) {
    it(`${keyOf(row)}${row.public ? ' (public)' : ''}`, async () => {
      const problems: string[] = [];
      for (const [name, variant] of variantsOf(row)) {
        for (const caller of callers) {
          const { problem, body } = await runCell(row, variant, caller);
          const label = `${caller}${name ? ` [${name}]` : ''}`;
          if (problem) problems.push(`${label}: ${problem}`);
          for (const leak of leaksOf(caller, body))
            problems.push(`${label}: the answer shows "${leak}" of another tenant`);
        }
      }
      expect(problems, keyOf(row)).to.deep.equal([]);
    });
  }

  it("shows Nordhavn's people nothing of Acme, and the Acme-only operator nothing of Nordhavn, on any page they can GET", async () => {
    const seen: string[] = [];
    const leaks: string[] = [];
    for (const row of table.filter((r) => r.method === 'GET')) {
      for (const [name, variant] of variantsOf(row)) {
        for (const caller of ['nordUser', 'nordAdmin', 'operatorAcme'] as const) {
          const param = String(await variant.param());
          const res = await (agents.get(caller) as Agent).get(
            row.path.replace(/:\w+/, encodeURIComponent(param)),
          );
          if (res.status === 200) seen.push(`${caller} ${row.path}`);
          for (const leak of leaksOf(caller, res.text ?? ''))
            leaks.push(`${caller} GET ${row.path}${name ? ` [${name}]` : ''}: "${leak}"`);
        }
      }
    }
    expect(seen, 'the pages were really visited').to.include.members([
      'nordUser /',
      'nordAdmin /',
      'nordAdmin /team',
      'operatorAcme /',
    ]);
    expect(leaks).to.deep.equal([]);
    // ...while what is theirs is there: the check above is not vacuous.
    const home = await (agents.get('nordUser') as Agent).get('/').expect(200);
    expect(textOf(home.text)).to.include(world.nord.legalName);
    const opHome = await (agents.get('operatorAcme') as Agent).get('/').expect(200);
    expect(textOf(opHome.text)).to.include(world.acme.legalName);
  });
});
