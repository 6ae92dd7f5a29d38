import { expect } from 'chai';
import supertest from 'supertest';
import { jsonLimits } from '../../../server/http/middleware/bodies.js';
import { apiClient, bodies, tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { streamUpload } from '../../support/uploads.js';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

describe('REST API: bounded bodies and the statuses it answers', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let api: ReturnType<typeof apiClient>;
  let token: string;

  before(async () => {
    tp = await startTestPortal('api-bounds');
    world = await makeWorld();
    token = (await tokenOf(world.users.acmeAdmin)).token;
    api = apiClient(tp.url, token);
  });
  after(() => tp?.stop());

  const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

  it('refuses JSON nested 5 000 deep with 400 before any walk, with or without an Idempotency-Key', async () => {
    for (const key of ['deep-1', undefined]) {
      const req = api.post('/tickets').set('Content-Type', 'application/json');
      if (key) req.set('Idempotency-Key', key);
      const res = await req.send(`{"type":"data_entry","subject":"Deep","fields":${nested(5000)}}`);
      expect(res.status, String(key)).to.equal(400);
      expect(res.body.error.code).to.equal('bad_request');
      expect(res.body.error.message).to.include(String(jsonLimits.depth));
    }
    // Arrays too, and on a reply; the largest nesting 1 MB allows.
    const arrays = '['.repeat(400_000) + ']'.repeat(400_000);
    const ticket = await api.post('/tickets').send(bodies.dataEntry()).expect(201);
    const reply = await api
      .post(`/tickets/${ticket.body.number}/replies`)
      .set('Content-Type', 'application/json')
      .send(`{"body":${arrays}}`);
    expect(reply.status).to.equal(400);
    // Depth within the limit still reaches validation (422), and a normal body is accepted with a key.
    const shallow = await api
      .post('/tickets')
      .set('Idempotency-Key', 'shallow-1')
      .set('Content-Type', 'application/json')
      .send(`{"type":"data_entry","fields":${nested(jsonLimits.depth - 2)}}`);
    expect(shallow.status).to.equal(422);
    await api.post('/tickets').set('Idempotency-Key', 'normal-1').send(bodies.dataEntry()).expect(201);
  });

  it('answers malformed JSON 400 and a body over 1 MB 413, both as documented', async () => {
    const malformed = await api
      .post('/tickets')
      .set('Content-Type', 'application/json')
      .send('{"type": "data_entry",');
    expect(malformed.status).to.equal(400);
    expect(malformed.body.error.code).to.equal('bad_request');
    const big = await api
      .post('/tickets')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ ...bodies.dataEntry(), description: 'x'.repeat(jsonLimits.bytes + 10) }));
    expect(big.status).to.equal(413);
    expect(big.body.error.code).to.equal('payload_too_large');
    const doc = (await supertest(tp.url).get('/api/v1/openapi.json').expect(200)).body as Doc;
    for (const [path, method] of [
      ['/tickets', 'post'],
      ['/tickets/{ref}/replies', 'post'],
    ] as const) {
      expect(Object.keys(doc.paths[path]?.[method]?.responses ?? {}), `${method} ${path}`).to.include.members(
        ['400', '413'],
      );
    }
  });

  it('answers a known path with an unsupported method 405 with Allow, token or not', async () => {
    const cases: Array<[string, string, string]> = [
      ['delete', '/api/v1/tickets', 'GET, HEAD, POST'],
      ['put', '/api/v1/tickets/ACME-000001', 'GET, HEAD'],
      ['get', '/api/v1/tickets/ACME-000001/replies', 'POST'],
      ['post', '/api/v1/openapi.json', 'GET, HEAD'],
      ['patch', '/api/v1/attachments/65f1c0ffee0000000000a001', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await (supertest(tp.url) as unknown as Record<string, (p: string) => supertest.Test>)[
        method
      ]!(path);
      expect(res.status, `${method} ${path}`).to.equal(405);
      expect(res.headers.allow, `${method} ${path}`).to.equal(allow);
      expect(res.body.error.code).to.equal('method_not_allowed');
    }
    // An unknown path is still 404.
    await supertest(tp.url).delete('/api/v1/nothing-here').expect(404);
  });

  it('refuses an upload over the 10 MB cap while reading it, not after the whole body', async () => {
    const ticket = await api.post('/tickets').send(bodies.dataEntry()).expect(201);
    const res = await streamUpload(tp.url, `/api/v1/tickets/${ticket.body.number}/attachments`, {
      headers: { Authorization: `Bearer ${token}` },
      field: 'file',
      fileBytes: 100 * 1024 * 1024,
    });
    expect(res.status).to.equal(422);
    expect(JSON.parse(res.body).error.fields[0].path).to.equal('file');
    // Refused at the cap (what was in flight on the wire aside), not after 100 MB.
    expect(res.sentAtAnswer).to.be.below(40 * 1024 * 1024);
  });
});
