import { Readable } from 'node:stream';
import type { Types } from 'mongoose';
import { GridFSBucket } from 'mongodb';
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

export const gridFsStore: BlobStore = {
  put(buffer, filename, metadata, id) {
    return new Promise((resolve, reject) => {
      const upload = id
        ? bucket().openUploadStreamWithId(id, filename, { metadata })
        : bucket().openUploadStream(filename, { metadata });
      upload.once('error', reject);
      upload.once('finish', () => resolve(upload.id as Types.ObjectId));
      Readable.from([buffer]).pipe(upload);
    });
  },
  open(fileId) {
    return bucket().openDownloadStream(fileId);
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
