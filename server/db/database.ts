import mongoose from 'mongoose';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { startEmbeddedEngine, type EmbeddedEngine } from './embedded-engine.js';

mongoose.set('strictQuery', true);
// Errors, not silent buffering, when the database is gone.
mongoose.set('bufferCommands', false);

export interface Database {
  uri: string;
  /** Set when this process uses the embedded engine (started here or reused). */
  engine: EmbeddedEngine | null;
  close(): Promise<void>;
}

/**
 * Connect mongoose to MONGODB_URI, or to the embedded engine (H2 backend under DATA_DIR) when
 * none is configured. Closing also stops an engine this process started.
 */
export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  let engine: EmbeddedEngine | null = null;
  let uri = config.mongodbUri;
  if (!uri) {
    engine = await startEmbeddedEngine({
      backend: 'h2',
      dataDir: config.dataDir,
      heapMb: config.devdbHeapMb,
      verifyIndexes: config.devdbVerifyIndexes,
      log: log.child({ component: 'devdb' }),
    });
    uri = engine.uri;
    log.info({ uri, owned: engine.owned, dataDir: config.dataDir }, 'using the embedded database');
  }
  try {
    // Bounded: while the database is down a request waits at most this long, then answers 503.
    await mongoose.connect(uri, { serverSelectionTimeoutMS: 5_000 });
  } catch (err) {
    await engine?.stop();
    throw err;
  }
  // Unique indexes carry the exclusivity rules (one e-mail per account, one tenant code...).
  await Promise.all(Object.values(mongoose.models).map((model) => model.createIndexes()));
  await dropObsoleteIndexes();
  return {
    uri,
    engine,
    async close() {
      await mongoose.disconnect();
      await engine?.stop();
    },
  };
}

/**
 * Indexes a schema no longer declares, by collection and name. `createIndexes` never removes an
 * index, so a database made by an older version keeps paying for it on every write: webhook
 * events' `{ _id, status, claimedBy }` unique index cost about 2.5 ms per update on the embedded
 * H2 engine until delivery moved to per-endpoint leases (README, bench:webhooks).
 */
export const obsoleteIndexes = [{ collection: 'webhookevents', name: '_id_1_status_1_claimedBy_1' }] as const;

/** Drops each obsolete index where it exists; idempotent, and safe on several nodes at once. */
export async function dropObsoleteIndexes(): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) return;
  for (const { collection, name } of obsoleteIndexes) {
    const present = await db
      .collection(collection)
      .indexes()
      .then((list) => list.some((i) => i.name === name))
      .catch(() => false); // no such collection yet
    if (!present) continue;
    // Another node may drop it between the check and here: "index not found" is then success.
    await db
      .collection(collection)
      .dropIndex(name)
      .catch((err: unknown) => {
        const e = err as { code?: number; message?: string };
        // 27 IndexNotFound, 26 NamespaceNotFound on MongoDB; the engine's wording otherwise.
        if (
          e.code === 27 ||
          e.code === 26 ||
          /index not found|ns not found|can't find index/i.test(String(e.message))
        )
          return;
        throw err;
      });
  }
}
