import type { Readable } from 'node:stream';
import { Types } from 'mongoose';
import { Binary, GridFSBucket, type Document } from 'mongodb';
import { coalescedInsert } from '../../db/coalesced-insert.js';
import { unscopedCollection, unscopedDb } from '../../db/scoped-collection.js';

/**
 * Where attachment bytes live. GridFS in the same database by default, so a backup of the
 * database is a backup of the files; another store only needs these three operations.
 */
export interface BlobStore {
  /** Store under `id` when given (chosen before, so a crash mid-upload leaves a known id to clean up). */
  put(
    buffer: Buffer,
    filename: string,
    metadata: Record<string, unknown>,
    id?: Types.ObjectId,
  ): Promise<Types.ObjectId>;
  open(fileId: Types.ObjectId): Readable;
  /** Whether the file is stored whole (an upload cut short is not). */
  complete(fileId: Types.ObjectId): Promise<boolean>;
  /** Remove whatever of the file is stored (all, part of an upload cut short, or nothing). */
  remove(fileId: Types.ObjectId): Promise<void>;
}

const bytesReason =
  'attachment bytes (GridFS): reached only by file ids that tenant-scoped attachment rows hold';

function bucket(): GridFSBucket {
  const db = unscopedDb(bytesReason);
  if (!db) throw new Error('database not connected');
  return new GridFSBucket(db, { bucketName: 'attachments' });
}

/** GridFS's default chunk size (the driver's): files written here read back through any driver. */
const CHUNK_BYTES = 255 * 1024;

const gridFsCollection = (name: 'files' | 'chunks') => () => {
  const collection = unscopedCollection(`attachments.${name}`, bytesReason);
  if (!collection) throw new Error('database not connected');
  return collection;
};
/** Chunks and file documents of concurrent puts go as one insert each (group commit). */
const insertChunk = coalescedInsert(gridFsCollection('chunks'));
const insertFileDoc = coalescedInsert(gridFsCollection('files'));

/** The two indexes the driver's uploads create (the unique one keeps a file's chunks single), once per database. */
const indexed = new WeakMap<object, Promise<unknown>>();
function ensureIndexes(): Promise<unknown> {
  const db = unscopedDb(bytesReason);
  if (!db) throw new Error('database not connected');
  let done = indexed.get(db);
  if (!done) {
    done = Promise.all([
      gridFsCollection('chunks')().createIndex({ files_id: 1, n: 1 }, { unique: true }),
      gridFsCollection('files')().createIndex({ filename: 1, uploadDate: 1 }),
    ]).catch((err: unknown) => {
      indexed.delete(db);
      throw err;
    });
    indexed.set(db, done);
  }
  return done;
}

export const gridFsStore: BlobStore = {
  /**
   * GridFS's own layout, written as the driver's upload stream writes it (chunks first, the file
   * document last: a file document means complete bytes), but through group commit: the bytes
   * of files stored at the same time (a batch of e-invoices) go in one insert of chunks and one
   * of file documents, where each upload stream sent its own commands.
   */
  async put(buffer, filename, metadata, id) {
    await ensureIndexes();
    const fileId = id ?? new Types.ObjectId();
    const chunks: Document[] = [];
    for (let n = 0; n * CHUNK_BYTES < buffer.length || n === 0; n++)
      chunks.push({
        _id: new Types.ObjectId(),
        files_id: fileId,
        n,
        data: new Binary(buffer.subarray(n * CHUNK_BYTES, (n + 1) * CHUNK_BYTES)),
      });
    await Promise.all(chunks.map((chunk) => insertChunk(chunk)));
    await insertFileDoc({
      _id: fileId,
      length: buffer.length,
      chunkSize: CHUNK_BYTES,
      uploadDate: new Date(),
      filename,
      metadata,
    });
    return fileId;
  },
  open(fileId) {
    return bucket().openDownloadStream(fileId);
  },
  async complete(fileId) {
    // The file document is written after every chunk: it means complete bytes.
    return (await gridFsCollection('files')().findOne({ _id: fileId }, { projection: { _id: 1 } })) !== null;
  },
  async remove(fileId) {
    const files = unscopedCollection('attachments.files', bytesReason);
    const chunks = unscopedCollection('attachments.chunks', bytesReason);
    if (!files || !chunks) throw new Error('database not connected');
    // Two lookups by exact unique keys first: the driver's delete scans the chunks, which on the
    // engine means reading every stored file; most ids asked about here were never uploaded.
    const [file, firstChunk] = await Promise.all([
      files.findOne({ _id: fileId }, { projection: { _id: 1 } }),
      chunks.findOne({ files_id: fileId, n: 0 }, { projection: { _id: 1 } }),
    ]);
    if (!file && !firstChunk) return;
    // Chunks without their file document (an upload cut short) are removed, then "not found" thrown.
    await bucket()
      .delete(fileId)
      .catch((err: unknown) => {
        if (file) throw err;
      });
  },
};
