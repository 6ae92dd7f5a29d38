import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient, MongoServerError } from 'mongodb';
import { pino } from 'pino';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../server/db/embedded-engine.js';

/**
 * A portal starting on an empty database creates each collection (mongoose's createCollection)
 * while other start-up work already writes to it. The engine must treat that like MongoDB: the
 * collection exists once, `create` says NamespaceExists (48) at worst. Before the engine serialised
 * `create` with implicit creation, the race failed a start now and then with "Document with key
 * 'db.tickets' already existed in system.namespaces" (seen under load).
 */
for (const backend of ['memory', 'h2'] as const) {
  describe(`embedded engine (${backend}): creating a collection while writing to it`, function () {
    this.timeout(120_000);
    let dataDir: string;
    let engine: EmbeddedEngine;
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'desk-create-race-'));
      engine = await startEmbeddedEngine({
        backend,
        dataDir: backend === 'h2' ? dataDir : undefined,
        log: pino({ level: 'silent' }),
        dbName: 'race',
        supervise: false,
      });
    });
    after(async () => {
      await engine?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('never fails other than with NamespaceExists', async () => {
      const client = await MongoClient.connect(engine.uri, { maxPoolSize: 20 });
      const db = client.db('race');
      const failures: string[] = [];
      const note = (err: unknown, op = ''): void => {
        if (err instanceof MongoServerError && err.code === 48) return;
        failures.push(`${op}: ${String((err as Error).message)}`);
      };
      for (let round = 0; round < 60; round++) {
        const name = `c${round}`;
        await Promise.all([
          db.createCollection(name).catch((e: unknown) => note(e, 'create')),
          db
            .collection(name)
            .insertOne({ round })
            .catch((e: unknown) => note(e, 'insert')),
          db
            .collection(name)
            .createIndex({ k: 1 }, { unique: true, sparse: true })
            .catch((e: unknown) => note(e, 'createIndex')),
          db.createCollection(name).catch((e: unknown) => note(e, 'create')),
          db
            .collection(name)
            .insertOne({ round, second: true })
            .catch((e: unknown) => note(e, 'insert')),
        ]);
      }
      await client.close();
      expect(failures).to.deep.equal([]);
    });
  });
}
