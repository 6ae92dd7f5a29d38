import { expect } from 'chai';
import mongoose, { Schema } from 'mongoose';
import { pino } from 'pino';
import { createScheduler } from '../../../jobs/scheduler.js';
import { toAppError } from '../../../server/errors/normalize.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';

/**
 * What the rest of the code relies on from the database, pinned against the engine the tests
 * run on (the embedded one, or real MongoDB when MONGODB_URI is set).
 */
const widgetSchema = new Schema({
  sku: { type: String, required: true, unique: true },
  name: { type: String, required: true, minlength: 2 },
  qty: { type: Number, default: 0, min: 0 },
  owner: { type: String, default: null },
  group: { type: String, default: 'a' },
});
const Widget = mongoose.model('CompatWidget', widgetSchema);

describe('database engine compatibility', () => {
  before(async () => {
    await connectTestDb('compat');
  });
  after(dropAndDisconnect);

  it('does mongoose CRUD with validation', async () => {
    const created = await Widget.create({ sku: 'w-1', name: 'Widget', qty: 3 });
    expect((await Widget.findById(created._id).lean())?.name).to.equal('Widget');
    await Widget.updateOne({ _id: created._id }, { $inc: { qty: 2 } });
    expect((await Widget.findById(created._id).lean())?.qty).to.equal(5);
    const invalid = await Widget.create({ sku: 'w-2', name: 'x', qty: -1 }).catch((e: unknown) => e);
    const mapped = toAppError(invalid);
    expect(mapped.code).to.equal('validation');
    expect(mapped.fields.map((f) => f.path).sort()).to.deep.equal(['name', 'qty']);
    await Widget.deleteOne({ _id: created._id });
    expect(await Widget.countDocuments({})).to.equal(0);
  });

  it('maps a unique-index violation to a clean duplicate error', async () => {
    await Widget.create({ sku: 'dup', name: 'First' });
    const err = await Widget.create({ sku: 'dup', name: 'Second' }).catch((e: unknown) => e);
    const mapped = toAppError(err);
    expect(mapped.code).to.equal('duplicate');
    expect(mapped.fields).to.deep.equal([{ path: 'sku', key: 'validation.duplicate' }]);
  });

  it('lets exactly one of 100 concurrent claims win', async () => {
    const doc = await Widget.create({ sku: 'claim-me', name: 'Claimable' });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        Widget.findOneAndUpdate(
          { _id: doc._id, owner: null },
          { $set: { owner: `op-${i}` } },
          { returnDocument: 'after' },
        ).lean(),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).to.have.length(1);
    expect((await Widget.findById(doc._id).lean())?.owner).to.equal(winners[0]?.owner);
  });

  it('aggregates with $match, $group, $sum and $sort', async () => {
    await Widget.insertMany([
      { sku: 'g1', name: 'G one', qty: 1, group: 'x' },
      { sku: 'g2', name: 'G two', qty: 4, group: 'y' },
      { sku: 'g3', name: 'G three', qty: 2, group: 'x' },
      { sku: 'g4', name: 'G four', qty: 9, group: 'z' },
    ]);
    const rows = await Widget.aggregate<{ _id: string; total: number; n: number }>([
      { $match: { sku: { $regex: '^g' }, group: { $in: ['x', 'y'] } } },
      { $group: { _id: '$group', total: { $sum: '$qty' }, n: { $sum: 1 } } },
      { $sort: { total: -1 } },
    ]);
    expect(rows).to.deep.equal([
      { _id: 'y', total: 4, n: 1 },
      { _id: 'x', total: 3, n: 2 },
    ]);
  });

  it('runs an agenda job (Mongo backend on the same connection) exactly once', async () => {
    const db = mongoose.connection.db;
    if (!db) throw new Error('not connected');
    const agenda = createScheduler({
      db,
      log: pino({ level: 'silent' }),
      name: 'compat',
      processEveryMs: 200,
    });
    const runs: string[] = [];
    agenda.define('compat.once', async (job) => {
      runs.push(String((job.attrs.data as { tag: string }).tag));
    });
    await agenda.start();
    try {
      await agenda.schedule(new Date(Date.now() + 300), 'compat.once', { tag: 'only' });
      const deadline = Date.now() + 10_000;
      while (runs.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // Give a second run the chance to show up if it were going to.
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await agenda.stop();
    }
    expect(runs).to.deep.equal(['only']);
  });
});
