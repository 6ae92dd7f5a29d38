import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropObsoleteIndexes, obsoleteIndexes } from '../../../server/db/database.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';

/**
 * A database made by an older version keeps an index the schema dropped until something removes
 * it (createIndexes never does): the start drops it, and starting again (or on two nodes at once)
 * is harmless.
 */
describe('obsolete indexes', () => {
  before(() => connectTestDb('obsolete-indexes'));
  after(dropAndDisconnect);

  it('drops the webhook events’ old claim index at start, once, and twice at once is harmless', async () => {
    const events = mongoose.connection.db!.collection('webhookevents');
    await events.createIndex({ _id: 1, status: 1, claimedBy: 1 }, { unique: true });
    const names = async () => (await events.indexes()).map((i) => i.name);
    expect(await names()).to.include('_id_1_status_1_claimedBy_1');
    await Promise.all([dropObsoleteIndexes(), dropObsoleteIndexes()]);
    expect(await names()).not.to.include('_id_1_status_1_claimedBy_1');
    expect(await names()).to.include('_id_');
    await dropObsoleteIndexes();
    expect(obsoleteIndexes.map((i) => i.name)).to.include('_id_1_status_1_claimedBy_1');
  });

  it('does nothing where the collection does not exist yet', async () => {
    await mongoose.connection.db!.collection('webhookevents').drop();
    await dropObsoleteIndexes();
  });
});
