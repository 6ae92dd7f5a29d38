import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';

/** A database of its own for one test file: same server, fresh name. */
export function testDbUri(label: string): string {
  const base = process.env.TEST_MONGODB_BASE;
  if (!base) throw new Error('TEST_MONGODB_BASE is not set: run the tests through mocha (see .mocharc.json)');
  const url = new URL(base);
  url.pathname = `/t_${label.replace(/\W+/g, '_').slice(0, 30)}_${randomBytes(3).toString('hex')}`;
  return url.toString();
}

/**
 * Connect mongoose (the default connection the models use) to a fresh test database; `via`
 * routes the connection (a fault-injecting proxy, support/db-proxy.ts).
 */
export async function connectTestDb(
  label: string,
  via: (uri: string) => string = (uri) => uri,
): Promise<string> {
  const uri = testDbUri(label);
  await mongoose.connect(via(uri), { serverSelectionTimeoutMS: 10_000 });
  await Promise.all(Object.values(mongoose.models).map((model) => model.createIndexes()));
  return uri;
}

export async function dropAndDisconnect(): Promise<void> {
  if (mongoose.connection.readyState === 1) await mongoose.connection.dropDatabase().catch(() => undefined);
  await mongoose.disconnect();
}
