import { expect } from 'chai';
import supertest from 'supertest';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { tokenOf } from '../../support/api.js';
import { makeWorld } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/**
 * A secret rotation through the API with a field it does not know is refused, the secret left as
 * it was (found by the outside test: `{"overlapHours": -1}` rotated with the default overlap, so a
 * client meaning "no overlap" after a leak had the old secret signing on for 24 hours).
 */
describe('REST API: a secret rotation takes only overlapSeconds', function () {
  this.timeout(30_000);
  let tp: TestPortal;

  before(async () => {
    tp = await startTestPortal('api-rotation-input');
  });
  after(() => tp?.stop());

  it('refuses unknown fields with 422 naming them, and rotates with overlapSeconds: 0 at once', async () => {
    const world = await makeWorld();
    const token = (await tokenOf(world.users.acmeAdmin, 'erp')).token;
    const post = (path: string, body: object) =>
      supertest(tp.url)
        .post(`/api/v1${path}`)
        .set('Authorization', `Bearer ${token}`)
        .set('Accept-Language', 'en')
        .send(body);
    const created = await post('/webhook-endpoints', {
      url: 'https://erp.example/hooks',
      events: ['ticket.created'],
    }).expect(201);
    const id = created.body.id as string;
    const secretOf = async () =>
      (await WebhookEndpoint.findOne({ _id: id }).setOptions({ allTenants: true }).lean())?.secret;
    const before = await secretOf();

    for (const body of [{ overlapHours: 0 }, { overlap: 0 }, { overlapSeconds: 0, now: true }]) {
      const res = await post(`/webhook-endpoints/${id}/rotate-secret`, body).expect(422);
      expect(res.body.error.code, JSON.stringify(body)).to.equal('validation');
      expect(res.body.error.fields, JSON.stringify(body)).to.deep.equal(
        Object.keys(body)
          .filter((k) => k !== 'overlapSeconds')
          .map((path) => ({ path, message: 'Not a field of this request.' })),
      );
      expect(await secretOf(), JSON.stringify(body)).to.equal(before);
    }
    const rotated = await post(`/webhook-endpoints/${id}/rotate-secret`, { overlapSeconds: 0 }).expect(200);
    expect(rotated.body.secret).to.match(/^whsec_/);
    expect(Date.parse(rotated.body.previousSecretUntil as string)).to.be.at.most(Date.now());
    await post(`/webhook-endpoints/${id}/rotate-secret`, {}).expect(200);
  });
});
