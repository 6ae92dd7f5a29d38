import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/**
 * A file a person attached to a form the portal refused (a field was wrong): its bytes are kept
 * (GridFS, bucket `attachments`, under `fileId`) so the form comes back with it attached and the
 * corrected submission carries it. Bound to the tenant, the user and the browser session that
 * sent it (`sessionKey`, a hash of the session id): from anywhere else its id is useless.
 * `claimedAt` is set while a submission uses it; the maintenance job removes rows (and bytes)
 * left unclaimed for a day.
 */
const pendingUploadSchema = new Schema(
  {
    tenantId: tenantRef(),
    userId: { type: 'ObjectId', required: true },
    sessionKey: { type: String, required: true },
    fileId: { type: 'ObjectId', required: true, unique: true },
    filename: { type: String, required: true },
    contentType: { type: String, required: true },
    size: { type: Number, required: true },
    claimedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);
pendingUploadSchema.plugin(tenantScopePlugin);

export type PendingUploadAttrs = InferSchemaType<typeof pendingUploadSchema>;
export const PendingUpload = mongoose.model('PendingUpload', pendingUploadSchema, 'pendinguploads');
