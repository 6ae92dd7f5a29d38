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
  return {
    uri,
    engine,
    async close() {
      await mongoose.disconnect();
      await engine?.stop();
    },
  };
}
