import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient, type CommandSucceededEvent, type Document } from 'mongodb';
import { pino } from 'pino';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../server/db/embedded-engine.js';

/**
 * One cursor over a large result, read the way MongoDB users read it (no batchSize). The engine
 * used to answer a find without batchSize with every document in its first batch, and a getMore
 * with every document left: past about 128 MB (the engine's direct memory) the reply could not be
 * written and the client waited for ever (issue #18's benchmark, 100 000 records of 30 fields).
 * Now batches are MongoDB's: 101 documents first, then at most 16 MiB a batch.
 */
const MIB = 1024 * 1024;

for (const backend of ['memory', 'h2'] as const) {
  describe(`embedded engine (${backend}): one cursor over a large result`, function () {
    this.timeout(180_000);
    let dataDir: string;
    let engine: EmbeddedEngine;
    let client: MongoClient;
    const replies: Array<{ command: string; docs: number; bytes: number }> = [];
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'desk-large-cursor-'));
      engine = await startEmbeddedEngine({
        backend,
        dataDir: backend === 'h2' ? dataDir : undefined,
        log: pino({ level: 'silent' }),
        dbName: 'cursor',
        supervise: false,
      });
      client = await MongoClient.connect(engine.uri, { monitorCommands: true });
      client.on('commandSucceeded', (e: CommandSucceededEvent) => {
        const cursor = (e.reply as { cursor?: { firstBatch?: Document[]; nextBatch?: Document[] } }).cursor;
        const batch = cursor?.firstBatch ?? cursor?.nextBatch;
        if (batch) {
          const bytes = batch.reduce((n, d) => n + JSON.stringify(d).length, 0);
          replies.push({ command: e.commandName, docs: batch.length, bytes });
        }
      });
    });
    after(async () => {
      await client?.close();
      await engine?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    beforeEach(() => replies.splice(0));

    it('answers a find without batchSize with 101 documents, the rest through getMore, in order', async () => {
      const small = client.db('cursor').collection('small');
      await small.insertMany(Array.from({ length: 250 }, (_, i) => ({ seq: i })));
      replies.splice(0);
      const seqs: number[] = [];
      for await (const doc of small.find({}, { sort: { seq: 1 } })) seqs.push(doc['seq'] as number);
      expect(seqs).to.deep.equal(Array.from({ length: 250 }, (_, i) => i));
      expect(replies.map((r) => `${r.command}:${r.docs}`)).to.deep.equal(['find:101', 'getMore:149']);

      replies.splice(0);
      const sevens = await small.find({}, { batchSize: 7 }).limit(20).toArray();
      expect(sevens).to.have.length(20);
      expect(replies.map((r) => r.docs)).to.deep.equal([7, 7, 6]);

      replies.splice(0);
      const aggregated = await small.aggregate([{ $match: { seq: { $gte: 10 } } }]).toArray();
      expect(aggregated).to.have.length(240);
      expect(replies.map((r) => `${r.command}:${r.docs}`)).to.deep.equal(['aggregate:101', 'getMore:139']);

      expect(await small.findOne({ seq: 200 })).to.include({ seq: 200 });
    });

    it('reads 160 documents of 1 MiB (more than the engine’s direct memory) through one cursor, at most 16 MiB a batch', async () => {
      const big = client.db('cursor').collection('big');
      const filler = 'x'.repeat(MIB);
      for (let start = 0; start < 160; start += 8)
        await big.insertMany(Array.from({ length: 8 }, (_, i) => ({ seq: start + i, filler })));
      replies.splice(0);
      let read = 0;
      for await (const doc of big.find({})) {
        expect((doc['filler'] as string).length).to.equal(MIB);
        read++;
      }
      expect(read).to.equal(160);
      expect(replies.length).to.be.greaterThan(9);
      for (const r of replies) expect(r.bytes, `${r.command} of ${r.docs}`).to.be.at.most(16 * MIB + MIB);

      replies.splice(0);
      let aggregated = 0;
      for await (const doc of big.aggregate([{ $sort: { seq: -1 } }])) {
        expect(doc['seq']).to.equal(159 - aggregated);
        aggregated++;
      }
      expect(aggregated).to.equal(160);
      for (const r of replies) expect(r.bytes).to.be.at.most(16 * MIB + MIB);
    });
  });
}
