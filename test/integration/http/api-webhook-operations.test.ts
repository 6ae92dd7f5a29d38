import { expect } from 'chai';
import supertest from 'supertest';
import { Webhook } from 'standardwebhooks';
import { tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { WebhookReceiver, type Received } from '../../support/webhook-receiver.js';

/** Issue 19, item 4 through /api/v1: test event, attempt history, replay; other companies get 404. */
describe('REST API: operating webhook endpoints', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acme: string;
  let nord: string;
  const receiver = new WebhookReceiver();

  before(async () => {
    await receiver.start();
    tp = await startTestPortal('api-webhook-ops', { WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
    world = await makeWorld();
    acme = (await tokenOf(world.users.acmeAdmin, 'erp')).token;
    nord = (await tokenOf(world.users.nordAdmin, 'erp')).token;
  });
  after(async () => {
    await tp?.stop();
    await receiver.stop();
  });

  const api = (token: string) => {
    const agent = supertest(tp.url);
    const auth = (t: supertest.Test) => t.set('Authorization', `Bearer ${token}`);
    return {
      get: (path: string) => auth(agent.get(`/api/v1${path}`)),
      patch: (path: string) => auth(agent.patch(`/api/v1${path}`)),
      post: (path: string, body?: object) => {
        const req = auth(agent.post(`/api/v1${path}`));
        return body ? req.send(body) : req;
      },
    };
  };
  const waitFor = async (pred: () => Received | undefined): Promise<Received> => {
    for (let i = 0; i < 200; i++) {
      const got = pred();
      if (got) return got;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the receiver got nothing');
  };
  const register = async (path: string) =>
    (
      await api(acme)
        .post('/webhook-endpoints', { url: receiver.url(path), events: ['ticket.created'] })
        .expect(201)
    ).body as { id: string; secret: string };

  it('sends a test event to a real receiver, signed with the endpoint’s secret', async () => {
    const ep = await register('/api-test');
    const sent = await api(acme).post(`/webhook-endpoints/${ep.id}/test`).expect(202);
    expect(sent.body).to.include({ status: 'pending' });
    const got = await waitFor(() => receiver.received.find((r) => r.path === '/api-test'));
    expect(got.headers['webhook-id']).to.equal(sent.body.msgId);
    const payload = new Webhook(ep.secret).verify(got.body, got.headers) as { type: string };
    expect(payload.type).to.equal('webhook.test');
  });

  it('shows the attempts newest first and replays a failed delivery with the same webhook-id', async () => {
    const ep = await register('/api-replay');
    receiver.answer = (r) => (r.path === '/api-replay' ? { status: 410, body: 'gone' } : { status: 200 });
    const sent = await api(acme).post(`/webhook-endpoints/${ep.id}/test`).expect(202);
    await waitFor(() => receiver.received.find((r) => r.path === '/api-replay'));
    // 410 Gone: the event failed and the endpoint was disabled; the history says so.
    let history = await api(acme).get(`/webhook-endpoints/${ep.id}/attempts`).expect(200);
    for (let i = 0; i < 50 && !history.body.data.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      history = await api(acme).get(`/webhook-endpoints/${ep.id}/attempts`).expect(200);
    }
    expect(history.body.data).to.have.length(1);
    expect(history.body.data[0]).to.include({ status: 410, responseExcerpt: 'gone', ok: false });
    expect(history.body.data[0].requestHeaders['webhook-id']).to.equal(sent.body.msgId);
    expect(history.text).not.to.contain('webhook-signature');
    receiver.answer = () => ({ status: 200 });
    await api(acme).patch(`/webhook-endpoints/${ep.id}`).send({ state: 'active' }).expect(200);
    const replay = await api(acme)
      .post(`/webhook-endpoints/${ep.id}/replay`, { eventId: sent.body.eventId })
      .expect(200);
    expect(replay.body).to.deep.equal({ replayed: 1 });
    await waitFor(() => receiver.received.filter((r) => r.path === '/api-replay')[1]);
    const both = receiver.received.filter((r) => r.path === '/api-replay');
    expect(both.map((r) => r.headers['webhook-id'])).to.deep.equal([sent.body.msgId, sent.body.msgId]);
    new Webhook(ep.secret).verify((both[1] as Received).body, (both[1] as Received).headers);
    await api(acme).get(`/webhook-endpoints/${ep.id}/attempts?limit=0`).expect(422);
    await api(acme).post(`/webhook-endpoints/${ep.id}/replay`, { from: 'yesterday', to: 'now' }).expect(422);
    await api(acme).post(`/webhook-endpoints/${ep.id}/replay`, {}).expect(422);
    const range = await api(acme)
      .post(`/webhook-endpoints/${ep.id}/replay`, {
        from: new Date(Date.now() - 3_600_000).toISOString(),
        to: new Date().toISOString(),
      })
      .expect(200);
    expect(range.body).to.deep.equal({ replayed: 0 }); // nothing failed any more
  });

  it('answers 404 for another company’s endpoint: test, attempts, replay', async () => {
    const ep = await register('/api-other');
    const sent = await api(acme).post(`/webhook-endpoints/${ep.id}/test`).expect(202);
    await api(nord).post(`/webhook-endpoints/${ep.id}/test`).expect(404);
    await api(nord).get(`/webhook-endpoints/${ep.id}/attempts`).expect(404);
    await api(nord).post(`/webhook-endpoints/${ep.id}/replay`, { eventId: sent.body.eventId }).expect(404);
  });
});
