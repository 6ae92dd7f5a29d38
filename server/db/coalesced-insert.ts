import { MongoBulkWriteError, MongoServerError, type Document } from 'mongodb';
import { GroupCommit, type BatchOutcome } from './group-commit.js';

const stored: BatchOutcome<void> = { ok: true, value: undefined };

/**
 * What one document of an unordered insertMany got: its own write error becomes the same kind of
 * error a lone insertOne would have thrown (a MongoServerError with its code, 11000 for a
 * duplicate key), so callers keep testing `code === 11000`.
 */
function outcomesOf(err: MongoBulkWriteError, count: number): Array<BatchOutcome<void>> {
  const writeErrors = Array.isArray(err.writeErrors)
    ? err.writeErrors
    : err.writeErrors
      ? [err.writeErrors]
      : [];
  // A failure that names no document (write concern, network) is the whole batch's.
  if (!writeErrors.length) throw err;
  const failed = new Map<number, BatchOutcome<void>>();
  for (const we of writeErrors) {
    const raw = (we as { err?: Document }).err ?? {};
    const error = new MongoServerError({
      ...raw,
      message: we.errmsg ?? 'write error',
      errmsg: we.errmsg,
      code: we.code,
    });
    failed.set(we.index, { ok: false, error });
  }
  return Array.from({ length: count }, (_, i) => failed.get(i) ?? stored);
}

/**
 * An insert into one collection through group commit: concurrent inserts go as one unordered
 * insertMany, each caller acknowledged (or failed) for its own document. The documents must carry
 * their `_id` (the driver would otherwise add one to the caller's object during the batch).
 */
/** What the inserts go to: a driver collection, or the scoped one of server/db/scoped-collection.ts. */
export interface InsertTarget {
  insertOne(doc: Document): Promise<unknown>;
  insertMany(docs: Document[], options: { ordered: false }): Promise<unknown>;
}

export function coalescedInsert(
  collection: () => InsertTarget,
  maxBatch?: number,
): (doc: Document) => Promise<void> {
  const group = new GroupCommit<Document, void>(async (docs) => {
    if (docs.length === 1) {
      await collection().insertOne(docs[0] as Document);
      return [stored];
    }
    try {
      await collection().insertMany(docs, { ordered: false });
      return docs.map(() => stored);
    } catch (err) {
      if (err instanceof MongoBulkWriteError) return outcomesOf(err, docs.length);
      throw err;
    }
  }, maxBatch);
  return (doc) => group.submit(doc);
}
