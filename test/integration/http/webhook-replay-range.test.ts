import { expect } from 'chai';
import supertest from 'supertest';
import { AuditEvent } from '../../../models/audit-event.js';
import { t } from '../../../server/i18n/i18n.js';
import { tokenOf } from '../../support/api.js';
import { postForm, signedInAgent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { fieldError, inputValue } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/**
 * A webhook replay range typed the wrong way round (found by the outside test of issue #19): it
 * was answered "0 replayed", as if nothing had failed in it. It is a field error on `from`, on
 * the API and on the endpoint page's form (shown again with what was typed).
 */
describe('webhook replay: a range the wrong way round', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let endpointId: string;
  let token: string;

  before(async () => {
    tp = await startTestPortal('webhook-replay-range');
    world = await makeWorld();
    token = (await tokenOf(world.users.nordAdmin, 'erp')).token;
    const created = await supertest(tp.url)
      .post('/api/v1/webhook-endpoints')
      .set('Authorization', `Bearer ${token}`)
      .send({ url: 'https://hooks.invalid/erp', description: 'ERP', events: ['ticket.created'] })
      .expect(201);
    endpointId = created.body.id as string;
  });
  after(() => tp?.stop());

  const replay = (body: object) =>
    supertest(tp.url)
      .post(`/api/v1/webhook-endpoints/${endpointId}/replay`)
      .set('Authorization', `Bearer ${token}`)
      .send(body);

  it('is a 422 field error on from through the API, in the caller’s language; a forward range still replays', async () => {
    for (const range of [
      { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' },
      { from: '2026-03-01T10:00:00+01:00', to: '2026-03-01T09:00:00Z' }, // the same instant
    ]) {
      const res = await replay(range);
      expect(res.status, JSON.stringify(range)).to.equal(422);
      expect(res.body.error.code).to.equal('validation');
      expect(res.body.error.fields).to.deep.equal([
        { path: 'from', message: t('da', 'input_checks.from_after_to') },
      ]);
    }
    const forward = await replay({ from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z' }).expect(200);
    expect(forward.body).to.deep.equal({ replayed: 0 });
  });

  it('shows the endpoint page again with the field error, the range as typed and the settings kept', async () => {
    const agent = await signedInAgent(tp.url, world.users.nordAdmin.email);
    const path = `/webhooks/${endpointId}`;
    const res = await postForm(agent, path, `${path}/replay`, {
      from: '2026-03-02T10:00',
      to: '2026-03-01T10:00',
    });
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'from')).to.equal(t('da', 'input_checks.from_after_to'));
    expect(inputValue(res.text, 'from')).to.equal('2026-03-02T10:00');
    expect(inputValue(res.text, 'to')).to.equal('2026-03-01T10:00');
    // The settings form above it still shows the endpoint, not blanks.
    expect(inputValue(res.text, 'url')).to.equal('https://hooks.invalid/erp');
    expect(inputValue(res.text, 'description')).to.equal('ERP');
    expect(res.text).to.match(/name="events" value="ticket\.created"\s*checked/);
    // Nothing was replayed: the one replay audited is the API's forward range above.
    expect(
      await AuditEvent.countDocuments({ tenantId: world.nord._id, action: 'webhook.replayed' }),
    ).to.equal(1);
  });
});
