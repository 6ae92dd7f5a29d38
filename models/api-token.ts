import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/**
 * A tenant's API token for its own systems. Only the SHA-256 of the token is stored (unique:
 * the lookup on every API request is one index hit); `prefix` is its first characters, shown
 * so people can tell tokens apart. A token acts for the client admin who created it.
 */
const apiTokenSchema = new Schema({
  tenantId: tenantRef(),
  name: { type: String, required: true, trim: true, maxlength: 80 },
  tokenHash: { type: String, required: true, unique: true },
  prefix: { type: String, required: true },
  createdBy: {
    type: { id: { type: 'ObjectId', ref: 'User', required: true }, name: String, email: String },
    required: true,
    _id: false,
  },
  createdAt: { type: Date, required: true, default: () => new Date() },
  /** Refreshed at most once a minute (see apiTokenPolicy), not on every request. */
  lastUsedAt: { type: Date, default: null },
  /** Set once, by one conditional update; a revoked token never works again. */
  revokedAt: { type: Date, default: null },
});
apiTokenSchema.plugin(tenantScopePlugin);

export type ApiTokenAttrs = InferSchemaType<typeof apiTokenSchema>;
export const ApiToken = mongoose.model('ApiToken', apiTokenSchema);
