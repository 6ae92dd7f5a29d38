import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { BSON, Int32, MongoClient, type Document } from 'mongodb';
import { pino } from 'pino';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../server/db/embedded-engine.js';
import { storageSample } from './storage-sample.js';

/**
 * The H2 engine stores documents as BSON; a data dir written before stored them Java-serialized
 * (test/fixtures/devdb-java-serialized/, made by the engine of before: generate.ts there). Both
 * must read back exactly what was written, every BSON type kept (int32 stays int32, a whole
 * double stays a double, key order kept), across restarts, and old documents become BSON as they
 * change.
 */
const log = pino({ level: 'silent' });
const fixture = join(import.meta.dirname, '..', '..', 'fixtures', 'devdb-java-serialized', 'devdb.mv');
/** Exact BSON types and key order, compared as canonical extended JSON. */
const exact = (docs: Document[]) => docs.map((d) => BSON.EJSON.stringify(d, { relaxed: false }));
const raw = { promoteValues: false, promoteLongs: false, promoteBuffers: false } as const;

describe('embedded engine: the storage format of documents (H2)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let engine: EmbeddedEngine | undefined;
  let client: MongoClient | undefined;

  async function open() {
    engine = await startEmbeddedEngine({ backend: 'h2', dataDir, log, dbName: 'storage', supervise: false });
    client = await MongoClient.connect(engine.uri);
    return client.db().collection('samples');
  }
  async function close() {
    await client?.close();
    await engine?.stop();
    client = undefined;
    engine = undefined;
  }
  const all = async (c: Awaited<ReturnType<typeof open>>) =>
    exact(await c.find({}, raw).sort({ key: 1 }).toArray());
  const expected = (docs: Array<Record<string, unknown>>) =>
    exact([...docs].sort((a, b) => String(a.key).localeCompare(String(b.key))));

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'desk-engine-format-'));
  });
  afterEach(async () => {
    await close().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads a data dir written Java-serialized by the engine of before, and keeps it readable as it changes', async () => {
    await copyFile(fixture, join(dataDir, 'devdb.mv'));
    const sample = storageSample();
    let samples = await open();
    expect(await all(samples)).to.deep.equal(expected(sample));
    expect(exact([(await samples.findOne({ key: 'k-7' }, raw))!])).to.deep.equal(
      exact(sample.filter((d) => d.key === 'k-7')),
    );
    // Half the documents change (written again, now as BSON); one more is added.
    await samples.updateMany({ yes: true }, { $set: { changed: new Int32(1) } });
    await samples.insertOne({ ...sample[0], _id: undefined, key: 'k-new' });
    await close();

    samples = await open();
    const docs = await samples.find({}, raw).toArray();
    expect(docs).to.have.length(sample.length + 1);
    for (const d of sample) {
      const now = docs.find((x) => x.key === d.key)!;
      const { changed, ...rest } = now;
      expect(exact([rest])).to.deep.equal(exact([d]));
      expect(changed === undefined ? null : BSON.EJSON.stringify(changed, { relaxed: false })).to.equal(
        d.yes ? '{"$numberInt":"1"}' : null,
      );
    }
    const duplicate = await samples.insertOne({ key: 'k-3' }).catch((e: unknown) => e);
    expect((duplicate as { code?: number }).code).to.equal(11000);
  });

  it('keeps every BSON type of a document written now across a restart', async () => {
    const sample = storageSample();
    let samples = await open();
    await samples.createIndex({ key: 1 }, { unique: true });
    await samples.insertMany(sample);
    await samples.updateOne({ key: 'k-1' }, { $inc: { int: new Int32(1) } });
    await close();
    samples = await open();
    const changed = sample.map((d) => (d.key === 'k-1' ? { ...d, int: new Int32(-58) } : d));
    expect(await all(samples)).to.deep.equal(expected(changed));
  });
});
