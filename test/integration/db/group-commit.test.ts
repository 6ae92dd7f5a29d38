import { expect } from 'chai';
import type { Collection } from 'mongodb';
import mongoose, { Types } from 'mongoose';
import { coalescedInsert } from '../../../server/db/coalesced-insert.js';
import { nextTicketNumber } from '../../../server/domain/tickets/numbering.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';

/**
 * Group commit against the real engine: concurrent inserts share commands, yet each caller is
 * acknowledged or refused for its own document; concurrent ticket numbers are consecutive and
 * never repeat.
 */
describe('group commit on the database', () => {
  before(async () => {
    await connectTestDb('group-commit');
    await mongoose.connection.db!.collection('gc_items').createIndex({ key: 1 }, { unique: true });
  });
  after(dropAndDisconnect);

  it('stores 300 concurrent inserts in fewer commands, refusing only the duplicate keys', async () => {
    const items = () => mongoose.connection.db!.collection('gc_items') as unknown as Collection;
    let commands = 0;
    const insert = coalescedInsert(() => {
      commands++;
      return items();
    });
    // Keys 0..249, and 50 repeats of keys 0..49: exactly one of each pair may be stored.
    const keys = [...Array.from({ length: 250 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => i)];
    const outcomes = await Promise.all(
      keys.map((key) =>
        insert({ _id: new Types.ObjectId(), key }).then(
          () => 'stored',
          (e: { code?: number }) => (e.code === 11000 ? 'duplicate' : `other ${String(e)}`),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'stored')).to.have.length(250);
    expect(outcomes.filter((o) => o === 'duplicate')).to.have.length(50);
    expect(await items().countDocuments({})).to.equal(250);
    expect(commands).to.be.below(300 / 4);
  });

  it('numbers 400 concurrent tickets of two tenants 1..200 each, once', async () => {
    const a = String(new Types.ObjectId());
    const b = String(new Types.ObjectId());
    const got = await Promise.all(
      Array.from({ length: 400 }, (_, i) => nextTicketNumber(i % 2 ? a : b, i % 2 ? 'aaa' : 'bbb')),
    );
    for (const code of ['AAA', 'BBB']) {
      const seqs = got
        .filter((g) => g.number.startsWith(code))
        .map((g) => g.seq)
        .sort((x, y) => x - y);
      expect(seqs).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
    }
    expect(got.find((g) => g.seq === 7 && g.number.startsWith('AAA'))?.number).to.equal('AAA-000007');
  });
});
