import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/**
 * One file of records imported into a keying batch (issue #18): which record numbers it was
 * given. Unique per (batch, round, content): the same file imported again in the same round
 * reuses its numbers, so a second import of it (a double submit, or a retry after a crash part
 * way through its rows) inserts only the rows still missing and never a row twice.
 */
const keyingImportSchema = new Schema({
  tenantId: tenantRef(),
  ticketId: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
  round: { type: Number, required: true, min: 1 },
  /** SHA-256 of the file's validated records (layout order, normalised values). */
  digest: { type: String, required: true },
  format: { type: String, required: true, enum: ['csv', 'xlsx'] },
  /** The first record number of the file's rows; its rows are firstSeq, firstSeq + 1, ... */
  firstSeq: { type: Number, required: true, min: 1 },
  count: { type: Number, required: true, min: 1 },
  importedAt: { type: Date, required: true, default: () => new Date() },
});
keyingImportSchema.index({ tenantId: 1, ticketId: 1, round: 1, digest: 1 }, { unique: true });
keyingImportSchema.plugin(tenantScopePlugin);
export const KeyingImport = mongoose.model('KeyingImport', keyingImportSchema);
export type KeyingImportDoc = InferSchemaType<typeof keyingImportSchema> & { _id: Types.ObjectId };
