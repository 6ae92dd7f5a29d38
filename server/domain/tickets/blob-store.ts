import { Readable } from 'node:stream';
import type { Types } from 'mongoose';
import mongoose from 'mongoose';
import { GridFSBucket } from 'mongodb';

/**
 * Where attachment bytes live. GridFS in the same database by default, so a backup of the
 * database is a backup of the files; another store only needs these three operations.
 */
export interface BlobStore {
  put(buffer: Buffer, filename: string, metadata: Record<string, unknown>): Promise<Types.ObjectId>;
  open(fileId: Types.ObjectId): Readable;
  remove(fileId: Types.ObjectId): Promise<void>;
}

function bucket(): GridFSBucket {
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  return new GridFSBucket(db, { bucketName: 'attachments' });
}

export const gridFsStore: BlobStore = {
  put(buffer, filename, metadata) {
    return new Promise((resolve, reject) => {
      const upload = bucket().openUploadStream(filename, { metadata });
      upload.once('error', reject);
      upload.once('finish', () => resolve(upload.id as Types.ObjectId));
      Readable.from([buffer]).pipe(upload);
    });
  },
  open(fileId) {
    return bucket().openDownloadStream(fileId);
  },
  async remove(fileId) {
    await bucket().delete(fileId);
  },
};
