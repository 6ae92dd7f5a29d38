import { expect } from 'chai';
import { t } from '../../../server/i18n/i18n.js';
import { formLimits } from '../../../server/http/middleware/bodies.js';
import { csrfFrom, signedInAgent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/**
 * A page's request body refused before it is read further (too large, malformed JSON) is told in
 * the reader's language (found by the outside test: the bodies were read before the session, so
 * every such refusal was in English).
 */
describe('pages: a refused request body in the reader’s language', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('page-body-refusals');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('refuses a form over the limit with the error page in Italian and Danish', async () => {
    for (const [user, locale] of [
      [world.users.acmeAdmin, 'it'],
      [world.users.nordAdmin, 'da'],
    ] as const) {
      const agent = await signedInAgent(tp.url, user.email);
      const csrf = csrfFrom((await agent.get('/webhooks').expect(200)).text);
      const body = new URLSearchParams({
        _csrf: csrf,
        url: 'https://hooks.invalid/x',
        description: 'x'.repeat(formLimits.bytes + 10),
      });
      const res = await agent.post('/webhooks').type('form').send(body.toString());
      expect(res.status).to.equal(413);
      expect(textOf(res.text)).to.include(
        t(locale, 'limits.too_large', { kb: Math.round(formLimits.bytes / 1024) }),
      );
    }
  });

  it('refuses malformed JSON to a page’s JSON action in the reader’s language', async () => {
    const agent = await signedInAgent(tp.url, world.users.nordAdmin.email);
    const res = await agent
      .post('/tickets/NOPE-000001/replies')
      .set('Accept', 'application/json')
      .set('Content-Type', 'application/json')
      .send('{"body": ');
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({
      error: { code: 'bad_request', message: t('da', 'limits.malformed_json') },
    });
  });
});
