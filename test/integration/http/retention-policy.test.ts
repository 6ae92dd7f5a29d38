import { expect } from 'chai';
import { AuditEvent } from '../../../models/audit-event.js';
import { RetentionPolicy } from '../../../models/retention-policy.js';
import { t } from '../../../server/i18n/i18n.js';
import { verifyAuditChain } from '../../../server/domain/audit/verify-audit-chain.js';
import { systemCtx } from '../../../server/domain/context.js';
import { csrfFrom, signedInAgent } from '../../support/browser-session.js';
import { makeTenant, makeUser, makeWorld, type World } from '../../support/factories.js';
import { fieldError, inputValue, navHrefs, tableRows, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { pino } from 'pino';

const own = {
  financialYearEnd: '06-30',
  invoice_files_mode: 'default',
  attachments_mode: 'default',
  tickets_mode: 'own',
  tickets_years: '7',
  tickets_months: '6',
  tickets_start: 'financial_year_end',
  inbound_mail_mode: 'default',
  audit_mode: 'default',
};

/** Issue 20, item 1: retention per client and kind, country defaults, edited by account managers and admins. */
describe('retention policies page', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  before(async () => {
    tp = await startTestPortal('retention-policy');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('shows the country defaults in Italian, saves an own rule, audits it in the hash chain', async () => {
    const manager = await makeUser({ role: 'account_manager', tenantIds: [world.acme.id], locale: 'it' });
    const agent = await signedInAgent(tp.url, manager.email);
    expect(navHrefs((await agent.get('/').expect(200)).text)).to.include('/retention');
    const list = await agent.get('/retention').expect(200);
    expect(tableRows(list.text, 'retention-clients').map((r) => r[0])).to.deep.equal([
      `${world.acme.legalName} ${world.acme.code}`,
    ]);
    const page = await agent.get(`/retention/${world.acme.id}`).expect(200);
    const rules = tableRows(page.text, 'retention-rules');
    const tenYears = t('it', 'retention.policies.rule', {
      period: t('it', 'retention.policies.years', { count: 10 }),
      start: t('it', 'retention.policies.starts.invoice_date'),
    });
    expect(rules[0]?.[1]).to.contain(tenYears);

    const saved = await agent
      .post(`/retention/${world.acme.id}`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), country: 'it', ...own });
    expect(saved.status, saved.text.slice(0, 300)).to.equal(302);
    const stored = await RetentionPolicy.findOne({ tenantId: world.acme.id }).lean();
    expect(stored?.country).to.equal('IT');
    expect(stored?.financialYearEnd).to.equal('06-30');
    expect(
      stored?.rules.map((r) => ({ kind: r.kind, years: r.years, months: r.months, start: r.start })),
    ).to.deep.equal([{ kind: 'tickets', years: 7, months: 6, start: 'financial_year_end' }]);
    const after = await agent.get(`/retention/${world.acme.id}`).expect(200);
    expect(inputValue(after.text, 'tickets_years')).to.equal('7');
    const entry = await AuditEvent.findOne({ action: 'retention.policy_saved', tenantId: world.acme.id })
      .setOptions({ allTenants: true })
      .lean();
    expect(entry?.chain?.seq).to.be.a('number');
    expect(JSON.stringify(entry?.details)).to.contain('tickets:7y6m:financial_year_end');
    expect((await verifyAuditChain(systemCtx(pino({ level: 'silent' }), 't'))).ok).to.equal(true);
  });

  it('re-renders the form with each field error and keeps what was typed', async () => {
    const admin = await makeUser({ role: 'admin', locale: 'da' });
    const agent = await signedInAgent(tp.url, admin.email);
    const page = await agent.get(`/retention/${world.nord.id}`).expect(200);
    const res = await agent
      .post(`/retention/${world.nord.id}`)
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        ...own,
        country: 'Denmark',
        financialYearEnd: '02-30',
        tickets_years: '31',
        audit_mode: 'own',
        audit_years: '0',
        audit_months: '0',
        audit_start: 'created',
      })
      .expect(422);
    expect(fieldError(res.text, 'country')).to.equal(t('da', 'retention.policies.errors.country'));
    expect(fieldError(res.text, 'financialYearEnd')).to.equal(t('da', 'retention.policies.errors.year_end'));
    expect(fieldError(res.text, 'tickets_years')).to.equal(t('da', 'retention.policies.errors.years'));
    expect(fieldError(res.text, 'audit_years')).to.equal(t('da', 'retention.policies.errors.zero'));
    expect(inputValue(res.text, 'country')).to.equal('Denmark');
    expect(inputValue(res.text, 'tickets_years')).to.equal('31');
    expect(await RetentionPolicy.exists({ tenantId: world.nord.id })).to.equal(null);
    expect(textOf(res.text)).to.not.contain('undefined');
  });

  it('hides another portfolio client (404) and refuses client admins and operators', async () => {
    const other = await makeTenant();
    const manager = await makeUser({ role: 'account_manager', tenantIds: [world.acme.id] });
    const agent = await signedInAgent(tp.url, manager.email);
    await agent.get(`/retention/${other.id}`).expect(404);
    const page = await agent.get(`/retention/${world.acme.id}`).expect(200);
    await agent
      .post(`/retention/${other.id}`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), country: '', ...own })
      .expect(404);
    expect(await RetentionPolicy.exists({ tenantId: other.id })).to.equal(null);
    for (const user of [
      world.users.acmeAdmin,
      await makeUser({ role: 'operator', tenantIds: [world.acme.id] }),
    ]) {
      const a = await signedInAgent(tp.url, user.email);
      await a.get(`/retention/${world.acme.id}`).expect(403);
    }
  });

  it('shows the next purge per client and kind in a dry run, without deleting, to its portfolio only', async () => {
    const manager = await makeUser({ role: 'account_manager', tenantIds: [world.nord.id], locale: 'da' });
    const agent = await signedInAgent(tp.url, manager.email);
    expect((await agent.get('/retention').expect(200)).text).to.contain('href="/retention/purge-preview"');
    const page = await agent.get('/retention/purge-preview').expect(200);
    const rows = tableRows(page.text, `purge-${world.nord.code}`);
    expect(rows.map((r) => r[0])).to.deep.equal([
      t('da', 'retention.purge.kinds.tickets'),
      t('da', 'retention.purge.kinds.files'),
      t('da', 'retention.purge.kinds.inbound_mail'),
      t('da', 'retention.purge.kinds.audit'),
    ]);
    expect(page.text).to.not.contain(`purge-${world.acme.code}`);
    const operator = await signedInAgent(tp.url, world.users.operatorBoth.email);
    await operator.get('/retention/purge-preview').expect(403);
  });
});
