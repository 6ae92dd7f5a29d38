import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

export const idempotencyStates = ['pending', 'done'] as const;

/**
 * One `Idempotency-Key` of an API client. The unique index on (tenantId, key) decides which of
 * two concurrent requests runs; the other replays the stored response (or waits: 409). Rows
 * expire after `expiresAt` (checked on read, purged by the maintenance job: the engine ignores
 * TTL indexes).
 */
const idempotencyKeySchema = new Schema({
  tenantId: tenantRef(),
  key: { type: String, required: true },
  /** What the key was first used for: method, path and a hash of the body. */
  requestHash: { type: String, required: true },
  state: { type: String, required: true, enum: idempotencyStates, default: 'pending' },
  /**
   * The id of what the request creates, chosen before it runs: a retry finds it (the ticket was
   * stored though the answer was lost) instead of creating a second one.
   */
  resourceId: { type: 'ObjectId', default: null },
  /** A pending row whose owner died is taken over after this moment. */
  lockedUntil: { type: Date, default: null },
  response: {
    type: { status: Number, body: Schema.Types.Mixed, location: { type: String, default: null } },
    default: null,
    _id: false,
  },
  createdAt: { type: Date, required: true, default: () => new Date() },
  expiresAt: { type: Date, required: true },
});
idempotencyKeySchema.index({ tenantId: 1, key: 1 }, { unique: true });
idempotencyKeySchema.plugin(tenantScopePlugin);

export type IdempotencyKeyAttrs = InferSchemaType<typeof idempotencyKeySchema>;
export const IdempotencyKey = mongoose.model('IdempotencyKey', idempotencyKeySchema);
