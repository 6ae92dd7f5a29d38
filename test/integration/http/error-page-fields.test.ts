import { expect } from 'chai';
import { t } from '../../../server/i18n/i18n.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld } from '../../support/factories.js';
import { textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/**
 * The error page says a refusal once (found by the outside test): a refusal worded for its one
 * field (the CSAT report's period) showed the same sentence as the page's title and again as the
 * field's message. Pages with a filter form show the
 * form again instead (filter-form-refused.test.ts): a download still answers here.
 */
describe('error page: one message, said once', function () {
  this.timeout(60_000);
  let tp: TestPortal;

  before(async () => {
    tp = await startTestPortal('error-page-fields');
    await makeWorld();
  });
  after(() => tp?.stop());

  const count = (text: string, part: string) => text.split(part).length - 1;
  /** The error page's own text (not the window title, which repeats its message). */
  const errorText = (html: string) =>
    textOf(/<section class="card error-page">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '');

  it('shows a report period refused on its field once', async () => {
    const lead = await makeUser({ role: 'team_lead', locale: 'it' });
    const agent = await signedInAgent(tp.url, lead.email);
    // A refused download shows its report page again (report-exports-refused.test.ts): the message once.
    const period = await agent.get('/reports/csat/export.csv?from=2026-13-01').expect(422);
    const sentence = t('it', 'reports.errors.period');
    const main = /<main[\s\S]*<\/main>/.exec(period.text)?.[0] ?? period.text;
    expect(count(textOf(main), sentence)).to.equal(1);
    void errorText;
  });
});
