import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { CsatRating } from '../../../models/csat-rating.js';
import { signSurveyLink } from '../../../server/domain/csat/link-token.js';
import { t } from '../../../server/i18n/i18n.js';
import { csrfFrom } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { alertText, newObjectId } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/**
 * What the survey pages answer to a wrong score or comment (found by the outside test): a forged
 * link is 404 whatever the score (it was 422, the score read before the link); a valid link with
 * a score outside 1..5 shows the survey again with why, in the survey's language (it was a bare
 * error page in the browser's language); a comment too long says so in the survey's language.
 */
describe('survey pages refuse wrong input in the survey’s language', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('csat-form-errors');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  /** An Italian survey link of a fresh resolution of an Acme ticket (rated already, or not). */
  async function italianSurvey(rated: boolean): Promise<string> {
    const ticketId = newObjectId();
    const expiresAt = new Date(Date.now() + 86_400_000);
    await CsatRating.create({
      tenantId: world.acme._id,
      ticketId,
      number: 'FORM-1',
      resolution: 1,
      resolvedAt: new Date(),
      expiresAt,
      type: 'complaint',
      priority: 'normal',
      score: rated ? 4 : null,
    });
    const token = signSurveyLink({
      tenantId: world.acme.id,
      ticketId,
      resolution: 1,
      locale: 'it',
      expiresAt,
    });
    return `/csat/${encodeURIComponent(token)}`;
  }

  /** A browser that reads English, with a session and its CSRF token. */
  async function englishBrowser(url: string) {
    const agent = supertest.agent(tp.url).set('Accept-Language', 'en');
    const page = await agent.get(url);
    return { agent, csrf: csrfFrom(page.text) };
  }

  it('answers a forged link 404 whatever the score', async () => {
    const forged = `/csat/${Buffer.from('{"a":"x"}').toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    const { agent, csrf } = await englishBrowser('/login');
    for (const score of ['0', '3', '6', 'abc', ''])
      await agent.post(forged).type('form').send({ _csrf: csrf, score }).expect(404);
  });

  it('shows the survey again for a score outside 1..5, in Italian, and records nothing', async () => {
    const url = await italianSurvey(false);
    const { agent, csrf } = await englishBrowser(url);
    for (const score of ['0', '6', '2.5', 'abc']) {
      const res = await agent.post(url).type('form').send({ _csrf: csrf, score }).expect(422);
      expect(res.text, score).to.contain('<html lang="it"');
      expect(alertText(res.text), score).to.equal(t('it', 'errors.validation'));
      // The five scores are there to choose again.
      expect([...res.text.matchAll(/name="score" value="(\d)"/g)].map((m) => m[1])).to.deep.equal([
        '1',
        '2',
        '3',
        '4',
        '5',
      ]);
    }
    expect(await CsatRating.countDocuments({ tenantId: world.acme._id, score: { $ne: null } })).to.equal(0);
    await agent.post(url).type('form').send({ _csrf: csrf, score: '5' }).expect(303);
  });

  it('says a comment is too long in Italian, keeping what was typed', async () => {
    const url = await italianSurvey(true);
    const { agent } = await englishBrowser(`${url}/comment`);
    const csrf = csrfFrom((await agent.get(`${url}/comment`).expect(200)).text);
    const res = await agent
      .post(`${url}/comment`)
      .type('form')
      .send({ _csrf: csrf, comment: 'x'.repeat(2001) })
      .expect(422);
    expect(res.text).to.contain('<html lang="it"');
    expect(alertText(res.text)).to.equal(t('it', 'errors.validation'));
    expect(res.text).to.contain('x'.repeat(2001));
  });
});
