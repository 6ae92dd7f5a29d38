import { expect } from 'chai';
import { pino } from 'pino';
import { AuditChainMark } from '../../../models/audit-chain-mark.js';
import { AuditEvent } from '../../../models/audit-event.js';
import { recordAudit } from '../../../server/domain/audit/audit.js';
import { chainHashOf, chainIdOf } from '../../../server/domain/audit/audit-chain.js';
import { trimAuditChain } from '../../../server/domain/audit/trim-audit-chain.js';
import { verifyAuditChain } from '../../../server/domain/audit/verify-audit-chain.js';
import { systemCtx } from '../../../server/domain/context.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';

const sys = () => systemCtx(pino({ level: 'silent' }), 'audit-chain-test');
const all = { allTenants: true };

async function reset(): Promise<void> {
  await AuditEvent.deleteMany({}).setOptions(all);
  await AuditChainMark.deleteMany({});
}

async function writeChain(n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    await recordAudit(sys(), { action: 'retention.policy_saved', details: { kind: 'tickets', i } });
  }
}

/** Issue 20, item 5: entries of retention and privacy are chained by hash; the check finds the first break. */
describe('audit hash chain (domain)', function () {
  this.timeout(60_000);
  before(() => connectTestDb('audit-chain'));
  after(dropAndDisconnect);
  beforeEach(reset);

  it('chains retention and privacy entries in one gapless sequence, and leaves other areas out', async () => {
    await writeChain(3);
    await recordAudit(sys(), { action: 'tenant.updated', details: {} });
    await recordAudit(sys(), { action: 'privacy.erased', details: { request: 'r1' } });
    const chained = await AuditEvent.find({ chain: { $exists: true } })
      .setOptions(all)
      .lean();
    expect(chained.map((e) => e.chain?.seq).sort()).to.deep.equal([1, 2, 3, 4]);
    const plain = await AuditEvent.findOne({ action: 'tenant.updated' }).setOptions(all).lean();
    expect(plain?.chain).to.equal(undefined);
    expect(await verifyAuditChain(sys())).to.deep.include({ ok: true, checked: 4, from: 1, break: null });
  });

  it('forms one chain under 40 concurrent appends: no position twice, none skipped', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        recordAudit(sys(), { action: i % 2 ? 'retention.hold_placed' : 'privacy.requested', details: { i } }),
      ),
    );
    const seqs = (await AuditEvent.find({}).setOptions(all).lean()).map((e) => Number(e.chain?.seq));
    expect(seqs.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await verifyAuditChain(sys())).ok).to.equal(true);
  });

  it('finds an edited entry at its position', async () => {
    await writeChain(5);
    await AuditEvent.updateOne({ _id: chainIdOf(3) }, { $set: { 'details.kind': 'attachments' } }).setOptions(
      all,
    );
    const verdict = await verifyAuditChain(sys());
    expect(verdict.ok).to.equal(false);
    expect(verdict.break).to.deep.equal({ seq: 3, entryId: String(chainIdOf(3)), kind: 'edited' });
  });

  it('finds an edited time or action too, but not a pseudonymised e-mail', async () => {
    await writeChain(3);
    await AuditEvent.updateOne({ _id: chainIdOf(1) }, { $set: { actorEmail: 'erased-7f3a' } }).setOptions(
      all,
    );
    expect((await verifyAuditChain(sys())).ok).to.equal(true);
    await AuditEvent.updateOne({ _id: chainIdOf(2) }, { $set: { at: new Date(0) } }).setOptions(all);
    expect((await verifyAuditChain(sys())).break).to.deep.include({ seq: 2, kind: 'edited' });
  });

  it('finds a deleted entry, the last one included', async () => {
    await writeChain(5);
    await AuditEvent.deleteOne({ _id: chainIdOf(2) }).setOptions(all);
    expect((await verifyAuditChain(sys())).break).to.deep.equal({ seq: 2, entryId: null, kind: 'missing' });
    await reset();
    await writeChain(4);
    await AuditEvent.deleteOne({ _id: chainIdOf(4) }).setOptions(all);
    expect((await verifyAuditChain(sys())).break).to.deep.include({ seq: 4, kind: 'missing' });
  });

  it('finds an entry rewritten with a recomputed hash: its successor no longer links to it', async () => {
    await writeChain(4);
    const row = await AuditEvent.findOne({ _id: chainIdOf(2) })
      .setOptions(all)
      .lean();
    const forged = { ...row!, details: { kind: 'forged' } };
    const hash = chainHashOf(2, String(row!.chain!.prev), forged as never);
    await AuditEvent.updateOne(
      { _id: chainIdOf(2) },
      { $set: { details: { kind: 'forged' }, 'chain.hash': hash } },
    ).setOptions(all);
    expect((await verifyAuditChain(sys())).break).to.deep.include({ seq: 3, kind: 'relinked' });
  });

  it('finds an entry inserted around the chain and one moved out of its place', async () => {
    await writeChain(3);
    const row = await AuditEvent.findOne({ _id: chainIdOf(2) })
      .setOptions(all)
      .lean();
    await AuditEvent.create({ ...row!, _id: undefined });
    expect((await verifyAuditChain(sys())).break).to.deep.include({ kind: 'inserted' });
    await reset();
    await writeChain(3);
    await AuditEvent.updateOne({ _id: chainIdOf(2) }, { $set: { 'chain.seq': 7 } }).setOptions(all);
    expect((await verifyAuditChain(sys())).break).to.deep.include({ seq: 2, kind: 'inserted' });
  });

  it('keeps a keyed entry once, even when its operation runs again', async () => {
    await recordAudit(sys(), { action: 'retention.purged', key: 'purge:run-1', details: { tickets: 2 } });
    await recordAudit(sys(), { action: 'retention.purged', key: 'purge:run-1', details: { tickets: 2 } });
    expect(await AuditEvent.countDocuments({ action: 'retention.purged' }).setOptions(all)).to.equal(1);
  });

  it('appends after a crash left the head mark behind, without a gap', async () => {
    await writeChain(3);
    await AuditChainMark.updateOne({ _id: 'head' }, { $set: { seq: 1 } });
    await writeChain(2);
    const seqs = (await AuditEvent.find({}).setOptions(all).lean()).map((e) => Number(e.chain?.seq));
    expect(seqs.sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5]);
    expect((await verifyAuditChain(sys())).ok).to.equal(true);
  });

  it('still verifies once retention trimmed the oldest entries, and keeps chaining after them', async () => {
    await writeChain(3);
    const cut = new Date(Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await writeChain(2);
    expect(await trimAuditChain(sys(), cut)).to.deep.equal({ removed: 3 });
    expect(await verifyAuditChain(sys())).to.deep.include({ ok: true, from: 4, checked: 2 });
    await writeChain(1);
    expect(await verifyAuditChain(sys())).to.deep.include({ ok: true, from: 4, checked: 3 });
    expect(await trimAuditChain(sys(), new Date(0))).to.deep.equal({ removed: 0 });
  });
});
