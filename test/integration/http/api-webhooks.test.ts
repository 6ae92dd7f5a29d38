import { expect } from 'chai';
import supertest from 'supertest';
import { tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/** Issue 19, item 1: client systems manage their company's webhook endpoints through /api/v1. */
describe('REST API: webhook endpoints', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acme: string;
  let nord: string;

  before(async () => {
    tp = await startTestPortal('api-webhooks', { WEBHOOK_ALLOW_HOSTS: 'receiver.internal' });
    world = await makeWorld();
    acme = (await tokenOf(world.users.acmeAdmin, 'erp')).token;
    nord = (await tokenOf(world.users.nordAdmin, 'erp')).token;
  });
  after(() => tp?.stop());

  const api = (token: string) => {
    const agent = supertest(tp.url);
    const auth = (t: supertest.Test) => t.set('Authorization', `Bearer ${token}`);
    return {
      get: (path: string) => auth(agent.get(`/api/v1${path}`)),
      post: (path: string, body: object) => auth(agent.post(`/api/v1${path}`)).send(body),
      patch: (path: string, body: object) => auth(agent.patch(`/api/v1${path}`)).send(body),
    };
  };

  it('registers, lists, reads, changes and rotates; secrets only on creation and rotation', async () => {
    const created = await api(acme)
      .post('/webhook-endpoints', {
        url: 'https://erp.acme.example/desk',
        events: ['ticket.created', 'ticket.sla_breach'],
        orderedPerTicket: true,
      })
      .expect(201);
    expect(created.body.secret).to.match(/^whsec_/);
    expect(created.headers.location).to.equal(`/api/v1/webhook-endpoints/${created.body.id}`);
    expect(created.body).to.include({
      url: 'https://erp.acme.example/desk',
      state: 'active',
      orderedPerTicket: true,
    });
    const id = created.body.id as string;
    const list = await api(acme).get('/webhook-endpoints').expect(200);
    expect(list.body.data.map((e: { id: string }) => e.id)).to.deep.equal([id]);
    expect(list.text).not.to.contain('whsec_');
    const one = await api(acme).get(`/webhook-endpoints/${id}`).expect(200);
    expect(one.body).to.not.have.property('secret');
    const changed = await api(acme).patch(`/webhook-endpoints/${id}`, { state: 'disabled' }).expect(200);
    expect(changed.body).to.include({ state: 'disabled', disabledReason: 'admin' });
    const rotated = await api(acme)
      .post(`/webhook-endpoints/${id}/rotate-secret`, { overlapSeconds: 60 })
      .expect(200);
    expect(rotated.body.secret)
      .to.match(/^whsec_/)
      .and.not.equal(created.body.secret);
    expect(rotated.body.previousSecretUntil).to.be.a('string');
  });

  it('keeps another company’s endpoints out of reach (404) and refuses targets that are not public https', async () => {
    const mine = await api(acme)
      .post('/webhook-endpoints', { url: 'https://erp.acme.example/other', events: ['ticket.created'] })
      .expect(201);
    const id = mine.body.id as string;
    await api(nord).get(`/webhook-endpoints/${id}`).expect(404);
    await api(nord).patch(`/webhook-endpoints/${id}`, { state: 'disabled' }).expect(404);
    await api(nord).post(`/webhook-endpoints/${id}/rotate-secret`, {}).expect(404);
    expect((await api(nord).get('/webhook-endpoints').expect(200)).body.data).to.deep.equal([]);
    for (const url of [
      'http://erp.acme.example/desk',
      'https://10.0.0.1/desk',
      'https://[::1]/desk',
      'https://169.254.169.254/latest',
      'https://localhost/desk',
    ]) {
      const res = await api(acme).post('/webhook-endpoints', { url, events: ['ticket.created'] });
      expect(res.status, url).to.equal(422);
    }
    // A host the provider allowed explicitly may use plain http.
    await api(acme)
      .post('/webhook-endpoints', { url: 'http://receiver.internal/desk', events: ['ticket.created'] })
      .expect(201);
    await api(acme).patch(`/webhook-endpoints/${id}`, { events: [] }).expect(422);
    await api(acme).post('/webhook-endpoints/ffffffffffffffffffffffff/rotate-secret', {}).expect(404);
  });
});
