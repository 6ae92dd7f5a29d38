import { expect } from 'chai';
import { t } from '../../../server/i18n/i18n.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld } from '../../support/factories.js';
import { fieldError, inputValue } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/**
 * A GET filter form whose query is refused shows its page again (found by the outside test: the
 * generic error page answered): the form, the message beside the field, what was typed, 422.
 */
describe('filter forms: a refused query shows the form again', function () {
  this.timeout(60_000);
  let tp: TestPortal;

  before(async () => {
    tp = await startTestPortal('filter-form-refused');
  });
  after(() => tp?.stop());

  const isErrorPage = (html: string) => html.includes('class="card error-page"');

  it('keeps a report period typed wrong on the CSAT, SLA and operators pages, in Italian', async () => {
    const world = await makeWorld();
    const lead = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id], locale: 'it' });
    const agent = await signedInAgent(tp.url, lead.email);
    const sentence = t('it', 'reports.errors.period');
    for (const [path, field] of [
      ['/reports/csat', 'from'],
      [`/reports/${world.acme.id}`, 'from'],
      ['/reports/operators', 'from'],
    ] as const) {
      const page = await agent.get(`${path}?from=2026-13-01&to=2026-04-01`).expect(422);
      expect(isErrorPage(page.text), path).to.equal(false);
      expect(page.text, path).to.contain(`action="${path}"`);
      expect(fieldError(page.text, field), path).to.equal(sentence);
      expect(inputValue(page.text, 'from'), path).to.equal('2026-13-01');
      expect(inputValue(page.text, 'to'), path).to.equal('2026-04-01');
    }
    const ends = await agent.get('/reports/csat?from=2026-04-01&to=2026-03-01').expect(422);
    expect(fieldError(ends.text, 'to')).to.equal(sentence);
    expect(ends.text).not.to.contain('id="e-from"');
  });

  it('keeps a refused ticket search and tells a repeated filter beside its field, in Italian', async () => {
    const world = await makeWorld();
    const agentUser = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'it' });
    const agent = await signedInAgent(tp.url, agentUser.email);
    const long = 'x'.repeat(101);
    const search = await agent.get(`/tickets?q=${long}`).expect(422);
    expect(isErrorPage(search.text)).to.equal(false);
    expect(search.text).to.contain('data-testid="ticket-list"');
    expect(inputValue(search.text, 'q')).to.equal(long);
    expect(fieldError(search.text, 'q')).to.be.a('string').and.not.equal('');
    const repeated = await agent.get('/tickets?status=open&status=closed&q=abc').expect(422);
    expect(isErrorPage(repeated.text)).to.equal(false);
    expect(fieldError(repeated.text, 'status')).to.equal(t('it', 'input_checks.given_twice'));
    expect(inputValue(repeated.text, 'q')).to.equal('abc');
    await agent.get('/tickets?status=open&q=abc').expect(200);
  });

  it('shows the audit log’s filter again with the refused field marked', async () => {
    const admin = await makeUser({ role: 'admin', locale: 'it' });
    const agent = await signedInAgent(tp.url, admin.email);
    const page = await agent.get('/admin/audit?area=nowhere').expect(422);
    expect(isErrorPage(page.text)).to.equal(false);
    expect(page.text).to.contain('action="/admin/audit"');
    expect(fieldError(page.text, 'area')).to.be.a('string').and.not.equal('');
    await agent.get('/admin/audit?area=').expect(200);
  });
});
