import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import {
  ensureEngineJar,
  startEmbeddedEngine,
  type EmbeddedEngine,
} from '../../../server/db/embedded-engine.js';
import { capturedLog } from '../../support/captured-log.js';
import { findIndexMismatches } from '../../support/index-agreement.js';

/**
 * Issue 13, item 1: after an unclean stop the engine checks every index against the documents
 * before it serves anything; an index that disagrees is rebuilt, and documents that break a unique
 * index make it refuse to start with a message naming them. desk.devdb.BreakIndex damages a
 * stopped engine's data the way an interrupted write could (and removes the clean-stop marker).
 */
describe('embedded engine: index check at start', function () {
  this.timeout(120_000);
  const { log, lines, clear } = capturedLog();
  let dataDir: string;
  let engine: EmbeddedEngine | undefined;

  const breakIndex = async (damage: 'drop-entry' | 'duplicate'): Promise<void> => {
    const jar = await ensureEngineJar(log);
    await promisify(execFile)('java', [
      '-cp',
      jar,
      'desk.devdb.BreakIndex',
      dataDir,
      'check',
      'items',
      'k_1',
      damage,
    ]);
  };
  const start = (): Promise<EmbeddedEngine> =>
    startEmbeddedEngine({ backend: 'h2', dataDir, log, dbName: 'check', supervise: false });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'desk-index-check-'));
  });
  after(async () => {
    await engine?.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('skips the check after a clean stop, rebuilds an index that lost an entry, and refuses documents that break a unique index', async () => {
    engine = await start();
    let client = await MongoClient.connect(engine.uri);
    await client.db().collection('items').createIndex({ k: 1 }, { unique: true });
    // A non-unique index too: the engine accepts and ignores it (an empty index the check must skip).
    await client.db().collection('items').createIndex({ name: 1 });
    await client
      .db()
      .collection('items')
      .insertMany(Array.from({ length: 200 }, (_, k) => ({ k, name: `item ${k}` })));
    await client.close();
    await engine.stop();

    clear();
    engine = await start();
    expect(
      lines().filter((l) => l.includes('checked')),
      'a check after a clean stop',
    ).to.deep.equal([]);
    await engine.stop();
    clear();
    engine = await startEmbeddedEngine({
      backend: 'h2',
      dataDir,
      log,
      dbName: 'check',
      supervise: false,
      verifyIndexes: 'always',
    });
    expect(lines().join('\n'), 'DEVDB_VERIFY_INDEXES=always').to.match(
      /checked \d+ indexes of \d+ collections \(\d+ documents\).* 0 rebuilt/,
    );
    await engine.stop();

    await breakIndex('drop-entry');
    clear();
    engine = await start();
    const repaired = lines().filter((l) => l.includes('repaired after an unclean stop'));
    expect(repaired.join('\n')).to.match(
      /check\.items index k_1 \(1 missing, 0 pointing elsewhere, 0 too many\)/,
    );
    expect(lines().join('\n')).to.match(/checked \d+ indexes .* 1 rebuilt/);
    client = await MongoClient.connect(engine.uri);
    const db = client.db();
    expect((await findIndexMismatches(db)).mismatches).to.deep.equal([]);
    expect(await db.collection('items').countDocuments({ k: 0 })).to.equal(1);
    // The rebuilt unique index refuses a duplicate again.
    const dup = await db
      .collection('items')
      .insertOne({ k: 0 })
      .then(
        () => null,
        (err: { code?: number }) => err.code,
      );
    expect(dup).to.equal(11000);
    await client.close();
    await engine.stop();
    engine = undefined;

    await breakIndex('duplicate');
    clear();
    const refused = await start().then(
      (e) => {
        engine = e;
        return '';
      },
      (err: Error) => err.message,
    );
    expect(refused).to.match(/exit 4/);
    expect(refused).to.match(/refusing to start: check\.items index k_1 cannot be rebuilt/);
  });
});
