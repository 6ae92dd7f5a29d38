import { expect } from 'chai';
import { Types } from 'mongoose';
import { Counter } from '../../../models/counter.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { coalescedInsert } from '../../../server/db/coalesced-insert.js';
import { crossTenant, scopedCollection, unscopedCollection } from '../../../server/db/scoped-collection.js';
import { AppError } from '../../../server/errors/app-error.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';

/** Resolves with the AppError the work rejects (or throws) with; fails if it succeeds. */
async function refusal(work: () => unknown): Promise<AppError> {
  try {
    await work();
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(AppError);
    return err as AppError;
  }
  expect.fail('expected the raw access to be refused');
}
const refusedForScope = async (work: () => unknown, what: string) =>
  expect((await refusal(work)).code, what).to.equal('tenant_scope_missing');

const entry = (tenantId?: Types.ObjectId | null) => ({
  _id: new Types.ObjectId(),
  key: `k-${String(new Types.ObjectId())}`,
  ...(tenantId === undefined ? {} : { tenantId }),
  ticketId: new Types.ObjectId(),
  at: new Date(),
  kind: 'comment',
  visibility: 'public',
  author: { id: null, name: 'x', kind: 'system' },
  body: 'b',
  data: {},
  attachmentIds: [],
});

describe('the scoped entry to raw collections (server/db/scoped-collection.ts)', () => {
  const acme = new Types.ObjectId();
  const nord = new Types.ObjectId();
  const entries = scopedCollection(TimelineEntry);

  before(() => connectTestDb('scoped-collection'));
  after(dropAndDisconnect);

  it('refuses a tenant-owned insert without tenantId, alone, in a batch and through group commit', async () => {
    await refusedForScope(() => entries.insertOne(entry()), 'insertOne without tenantId');
    await refusedForScope(
      () => entries.insertOne(entry(null)),
      'insertOne with tenantId null on a required tenant',
    );
    await refusedForScope(
      () => entries.insertMany([entry(acme), entry()], { ordered: false }),
      'insertMany with one without',
    );
    const insert = coalescedInsert(() => entries);
    await refusedForScope(() => insert(entry()), 'group-commit insert without tenantId');
    await refusedForScope(
      () => crossTenant(TimelineEntry, 'test').insertOne(entry()),
      'crossTenant insert without tenantId',
    );
    expect(await TimelineEntry.countDocuments({}).setOptions({ allTenants: true })).to.equal(0);
  });

  it('refuses filters without tenantId (top level or inside $and), and upserts that would insert without one', async () => {
    await refusedForScope(() => entries.findOne({ kind: 'comment' }), 'findOne');
    await refusedForScope(() => entries.find({}), 'find');
    await refusedForScope(
      () => entries.updateOne({ _id: new Types.ObjectId() }, { $set: { body: 'x' } }),
      'updateOne by _id alone',
    );
    await refusedForScope(
      () => entries.updateMany({ $or: [{ tenantId: acme }, { kind: 'sla' }] }, { $set: { body: 'x' } }),
      'tenantId only in one $or branch',
    );
    await refusedForScope(() => entries.deleteOne({ tenantId: undefined }), 'tenantId undefined');
    await refusedForScope(() => entries.deleteMany({}), 'deleteMany');
    await refusedForScope(() => entries.countDocuments({}), 'countDocuments');
    await refusedForScope(() => entries.estimatedDocumentCount(), 'estimatedDocumentCount');
    await refusedForScope(
      () =>
        entries.updateOne(
          { tenantId: { $in: [acme, nord] }, key: 'k' },
          { $set: { body: 'x' } },
          { upsert: true },
        ),
      'upsert with a tenant condition that sets no tenant',
    );
  });

  it('runs what names its tenant, and what says out loud it crosses tenants', async () => {
    const insert = coalescedInsert(() => entries);
    await Promise.all([insert(entry(acme)), insert(entry(acme)), insert(entry(nord))]);
    expect(await entries.countDocuments({ tenantId: acme })).to.equal(2);
    expect(await entries.countDocuments({ $and: [{ tenantId: nord }, { kind: 'comment' }] })).to.equal(1);
    const moved = await entries.updateMany({ tenantId: acme }, { $set: { body: 'changed' } });
    expect(moved.modifiedCount).to.equal(2);
    const everyTenant = crossTenant(TimelineEntry, 'test: counts every tenant');
    expect(await everyTenant.countDocuments({ kind: 'comment' })).to.equal(3);
    // A provider-level row of a collection whose tenant may be null.
    await scopedCollection(OutboxMail).insertOne({
      _id: new Types.ObjectId(),
      tenantId: null,
      key: 'scoped-test',
    });
    expect(
      await scopedCollection(OutboxMail).countDocuments({ tenantId: null, key: 'scoped-test' }),
    ).to.equal(1);
  });

  it('keeps the three doors apart: a tenant-owned model is never unscoped, a model without tenants never scoped', () => {
    expect(() => unscopedCollection(TimelineEntry, 'no')).to.throw(/tenant-owned/);
    expect(() => scopedCollection(Counter)).to.throw(/not tenant-owned/);
    expect(() => crossTenant(TimelineEntry, '')).to.throw(/reason/);
    expect(() => unscopedCollection(Counter, ' ')).to.throw(/reason/);
  });
});
