import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/** Metadata of a stored file; the bytes are in GridFS (bucket `attachments`) under `fileId`. */
const attachmentSchema = new Schema({
  tenantId: tenantRef(),
  ticketId: { type: 'ObjectId', ref: 'Ticket', required: true },
  fileId: { type: 'ObjectId', required: true, unique: true },
  filename: { type: String, required: true },
  contentType: { type: String, required: true },
  size: { type: Number, required: true },
  sha256: { type: String, required: true },
  /** Attachments of internal notes are for staff only. */
  visibility: { type: String, required: true, enum: ['public', 'internal'], default: 'public' },
  uploadedBy: { type: { id: 'ObjectId', name: String }, _id: false },
  createdAt: { type: Date, required: true, default: () => new Date() },
});
attachmentSchema.plugin(tenantScopePlugin);

export type AttachmentAttrs = InferSchemaType<typeof attachmentSchema>;
export const Attachment = mongoose.model('Attachment', attachmentSchema);
