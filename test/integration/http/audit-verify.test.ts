import { expect } from 'chai';
import { AuditChainMark } from '../../../models/audit-chain-mark.js';
import { AuditEvent } from '../../../models/audit-event.js';
import { chainIdOf } from '../../../server/domain/audit/audit-chain.js';
import { recordAudit } from '../../../server/domain/audit/audit.js';
import { systemCtx } from '../../../server/domain/context.js';
import { t } from '../../../server/i18n/i18n.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { pino } from 'pino';
import { cli } from '../../support/cli.js';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

/** Issue 20, item 5: an admin checks the hash-chained trail from the audit log, in their language. */
describe('audit trail check page', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  before(async () => {
    tp = await startTestPortal('audit-verify');
  });
  after(() => tp?.stop());

  it('reports an intact trail, then the position of an edited entry, in Danish', async () => {
    await AuditEvent.deleteMany({}).setOptions({ allTenants: true });
    await AuditChainMark.deleteMany({});
    const world = await makeWorld();
    const sys = systemCtx(pino({ level: 'silent' }), 'audit-verify-test');
    for (const kind of ['tickets', 'attachments', 'audit']) {
      await recordAudit(sys, {
        action: 'retention.policy_saved',
        tenantId: world.acme.id,
        details: { kind },
      });
    }
    const admin = await makeUser({ role: 'admin', locale: 'da' });
    const agent = await signedInAgent(tp.url, admin.email);
    expect((await agent.get('/admin/audit').expect(200)).text).to.contain('href="/admin/audit/verify"');
    const ok = text((await agent.get('/admin/audit/verify').expect(200)).text);
    expect(ok).to.contain(t('da', 'audit_chain.ok', { count: 3, from: 1 }));

    await AuditEvent.updateOne({ _id: chainIdOf(2) }, { $set: { 'details.kind': 'tickets' } }).setOptions({
      allTenants: true,
    });
    const broken = text((await agent.get('/admin/audit/verify').expect(200)).text);
    expect(broken).to.contain(t('da', 'audit_chain.break.edited', { seq: 2 }));
    expect(broken).to.contain(t('da', 'audit_chain.checked_before', { count: 1 }));

    const uri = tp.config.mongodbUri as string;
    const run = await cli(['audit:verify'], { MONGODB_URI: uri });
    expect(run.code, run.out).to.equal(1);
    expect(run.stdout).to.contain('BROKEN at position 2 (edited');
    await AuditEvent.updateOne({ _id: chainIdOf(2) }, { $set: { 'details.kind': 'attachments' } }).setOptions(
      {
        allTenants: true,
      },
    );
    const again = await cli(['audit:verify'], { MONGODB_URI: uri });
    expect(again.code, again.out).to.equal(0);
    expect(again.stdout).to.contain('Audit trail intact: 3 chained entries');
  });
});
