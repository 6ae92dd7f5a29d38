import { expect } from 'chai';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld } from '../../support/factories.js';
import { textOfElementWith } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/** A calendar day as a reader of that language reads it (the pages' medium date style). */
const dayIn = (intl: string, iso: string) =>
  new Intl.DateTimeFormat(intl, { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(`${iso}T12:00:00Z`),
  );

/**
 * The CSAT report says its period in the reader's date format (found by the outside test: the
 * Italian and Danish pages read "dal 2026-03-01 a prima del 2026-04-01").
 */
describe('CSAT report period in the reader’s language', function () {
  this.timeout(30_000);
  let tp: TestPortal;

  before(async () => {
    tp = await startTestPortal('csat-report-period');
  });
  after(() => tp?.stop());

  it('writes the period’s days as an Italian and a Danish reader read them', async () => {
    const world = await makeWorld();
    for (const [locale, intl, words] of [
      ['it', 'it-IT', ['dal', 'a prima del']],
      ['da', 'da-DK', ['fra', 'til før']],
    ] as const) {
      const lead = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id], locale });
      const agent = await signedInAgent(tp.url, lead.email);
      const page = await agent.get('/reports/csat?from=2026-03-01&to=2026-04-01').expect(200);
      const period = textOfElementWith(page.text, 'data-testid="period"') ?? '';
      expect(period, locale).to.contain(
        `${words[0]} ${dayIn(intl, '2026-03-01')} ${words[1]} ${dayIn(intl, '2026-04-01')}`,
      );
      expect(period, locale).not.to.match(/\d{4}-\d{2}-\d{2}/);
    }
  });

  it('does the same on the SLA report and the operators view (same defect, older pages)', async () => {
    const world = await makeWorld();
    const lead = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id], locale: 'da' });
    const agent = await signedInAgent(tp.url, lead.email);
    for (const url of [
      `/reports/${world.acme.id}?from=2026-03-01&to=2026-04-01`,
      '/reports/operators?from=2026-03-01&to=2026-04-01',
    ]) {
      const page = await agent.get(url).expect(200);
      const period = textOfElementWith(page.text, 'data-testid="period"') ?? '';
      expect(period, url).to.contain(dayIn('da-DK', '2026-03-01'));
      expect(period, url).not.to.match(/\d{4}-\d{2}-\d{2}/);
    }
  });
});
