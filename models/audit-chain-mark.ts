import mongoose, { Schema } from 'mongoose';

/**
 * Two marks of the audit hash chain, provider-wide: `head` (the last position known appended, a
 * hint that appends correct when a crash left it behind) and `anchor` (the last position trimmed
 * away by retention, with its hash, where verification starts).
 */
const auditChainMarkSchema = new Schema({
  _id: { type: String, required: true, enum: ['head', 'anchor'] },
  seq: { type: Number, required: true },
  hash: { type: String, required: true },
});

export const AuditChainMark = mongoose.model('AuditChainMark', auditChainMarkSchema);
