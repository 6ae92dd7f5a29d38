import { pino } from 'pino';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../server/db/embedded-engine.js';

/**
 * One embedded engine (memory backend, free port) for the whole run, unless MONGODB_URI points
 * at a real MongoDB. Each test file then works in a database of its own (see support/db.ts).
 */
let engine: EmbeddedEngine | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  process.env.NODE_ENV = 'test';
  if (process.env.MONGODB_URI) {
    process.env.TEST_MONGODB_BASE = process.env.MONGODB_URI;
    return;
  }
  engine = await startEmbeddedEngine({ backend: 'memory', log: pino({ level: 'error' }), dbName: 'test' });
  process.env.TEST_MONGODB_BASE = engine.uri;
}

export async function mochaGlobalTeardown(): Promise<void> {
  await engine?.stop();
}
