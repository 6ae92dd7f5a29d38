import mongoose from 'mongoose';

/**
 * Which ids are still mentioned anywhere in the database: every document of every collection
 * (GridFS files and chunks included), as JSON, searched for each id. One pass over the database;
 * returns, per id still found, the collections it is found in.
 */
export async function mentionsOf(...ids: Array<{ toString(): string }>): Promise<Record<string, string[]>> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  const wanted = ids.map(String);
  const found: Record<string, string[]> = {};
  for (const { name } of await db.listCollections().toArray()) {
    for await (const doc of db.collection(name).find({})) {
      const text = JSON.stringify(doc);
      for (const id of wanted)
        if (text.includes(id) && !(found[id] ?? []).includes(name)) found[id] = [...(found[id] ?? []), name];
    }
  }
  return found;
}
