import { expect } from 'chai';
import supertest from 'supertest';
import { apiTicketInput, apiReplyInput } from '../../../server/http/api/schemas.js';
import { openApiPath, replyExample, ticketExamples } from '../../../server/http/api/openapi.js';
import { apiClient, tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { listRoutes } from '../../support/routes.js';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { operationId: string; responses: Record<string, unknown>; security: unknown[]; requestBody?: unknown }
    >
  >;
  components: { schemas: Record<string, Record<string, unknown>> };
};

const LIMIT = 5;

describe('REST API: description, docs and rate limit', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('api-docs', { API_RATE_LIMIT: String(LIMIT) });
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('publishes an OpenAPI 3.1 document, without a token, with a path for every API route', async () => {
    const res = await supertest(tp.url).get('/api/v1/openapi.json').expect(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    const doc = JSON.parse(res.text) as Doc;
    expect(doc.openapi).to.equal('3.1.0');
    const routes = listRoutes(tp.portal.server).filter((r) => r.path.startsWith('/api/v1/'));
    expect(routes.length).to.equal(19);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} /api/v1${path}`),
    );
    const served = routes.map((r) => `${r.method} /api/v1${openApiPath(r.path.slice('/api/v1'.length))}`);
    expect(documented).to.have.members(served);

    // Every reference resolves, every secured operation says how it is secured.
    const refs = [...res.text.matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(refs.length).to.be.greaterThan(5);
    for (const name of refs) expect(doc.components.schemas, name).to.have.property(name);
    expect(doc.paths['/tickets']?.post?.security).to.deep.equal([{ bearerAuth: [] }]);
    expect(doc.paths['/openapi.json']?.get?.security).to.deep.equal([]);
    // Generated from the zod schemas the code validates with: the three ticket types are there.
    const input = doc.components.schemas.TicketInput as {
      oneOf: Array<{ properties: { type: { const: string } } }>;
    };
    expect(input.oneOf.map((v) => v.properties.type.const)).to.have.members([
      'data_entry',
      'complaint',
      'invoice',
    ]);
    expect(JSON.stringify(doc.components.schemas.TicketInput)).to.include('supplierVat');
    expect(doc.components.schemas.Ticket).to.not.have.nested.property('properties.searchText');
  });

  it('has examples that the API really accepts', () => {
    for (const example of Object.values(ticketExamples))
      expect(apiTicketInput.safeParse(example).success, example.type).to.equal(true);
    expect(apiReplyInput.safeParse(replyExample).success).to.equal(true);
  });

  it('renders the docs page without a token: every operation, its parameters and examples, no outside assets', async () => {
    const res = await supertest(tp.url).get('/api/v1/docs').expect(200);
    expect(res.headers['content-type']).to.match(/^text\/html/);
    const ops = [...res.text.matchAll(/data-operation="(\w+)"/g)].map((m) => m[1]);
    expect(ops).to.have.members([
      'createTicket',
      'receiveEInvoice',
      'listTickets',
      'getTicket',
      'addReply',
      'uploadAttachments',
      'downloadAttachment',
      'importRecords',
      'exportRecords',
      'listWebhookEndpoints',
      'createWebhookEndpoint',
      'getWebhookEndpoint',
      'updateWebhookEndpoint',
      'rotateWebhookSecret',
      'sendWebhookTestEvent',
      'listWebhookAttempts',
      'replayWebhookEvents',
      'getOpenApi',
      'getDocs',
    ]);
    expect(res.text)
      .to.include('POST /api/v1/tickets/{ref}/attachments')
      .and.include('Idempotency-Key')
      .and.include('&quot;supplierVat&quot;');
    expect(res.text).to.not.match(/(src|href)="(https?:)?\/\//);
    const it_ = await supertest(tp.url).get('/api/v1/docs').set('Accept-Language', 'it').expect(200);
    expect(it_.text).to.include('Apri un ticket').and.include('<html lang="it">');
  });

  it('limits each token to its requests per minute: 429 with Retry-After, other tokens unaffected', async () => {
    const first = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin, 'busy')).token);
    const second = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin, 'calm')).token);
    for (let i = 0; i < LIMIT; i++) await first.get('/tickets').expect(200);
    const limited = await first.get('/tickets').expect(429);
    expect(limited.body.error.code).to.equal('rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).to.be.within(1, 60);
    await first.post('/tickets').send({}).expect(429);
    const ok = await second.get('/tickets').expect(200);
    expect(ok.headers.ratelimit).to.match(/remaining=4/);
    // Public documents are not counted against anyone.
    for (let i = 0; i < LIMIT + 2; i++) await supertest(tp.url).get('/api/v1/openapi.json').expect(200);
  });
});
