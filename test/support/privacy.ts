import mongoose from 'mongoose';
import { makeUser } from './factories.js';

/** A data subject: a client user of `tenantId` with the given address and name (the requests look them up by both). */
export const makeSubject = (tenantId: string, email: string, name: string) =>
  makeUser({ role: 'client_user', tenantId, email, name });

/**
 * Every document of every collection (GridFS bytes decoded as text) that still matches one of
 * `traces`, outside the documents of `except` (another client with a namesake): `collection id`.
 */
export async function tracesIn(traces: RegExp[], except: mongoose.Types.ObjectId): Promise<string[]> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  const found: string[] = [];
  for (const { name } of await db.listCollections().toArray()) {
    for await (const doc of db.collection(name).find({})) {
      if (String(doc.tenantId) === String(except)) continue;
      const text =
        JSON.stringify(doc) + (doc.data?.buffer ? Buffer.from(doc.data.buffer).toString('utf8') : '');
      if (traces.some((re) => re.test(text))) found.push(`${name} ${String(doc._id)}`);
    }
  }
  return found;
}
