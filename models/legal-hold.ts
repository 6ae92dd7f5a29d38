import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/** What a legal hold covers: a whole client, one ticket, or one stored document (an attachment). */
export const holdScopes = ['tenant', 'ticket', 'document'] as const;
export type HoldScope = (typeof holdScopes)[number];

/** The key that keeps one active hold per target. */
export const activeHoldKey = (tenantId: unknown, scope: string, targetId: unknown): string =>
  `${String(tenantId)}:${scope}:${String(targetId)}`;

/**
 * A legal hold: while it is active (`releasedAt` null) nothing it covers is purged by retention or
 * erased by a data subject's request. Released holds stay as the record of what was held and why.
 */
const legalHoldSchema = new Schema({
  tenantId: tenantRef(),
  scope: { type: String, required: true, enum: holdScopes },
  /** The tenant's id (scope `tenant`), the ticket's, or the attachment's. */
  targetId: { type: 'ObjectId', required: true },
  /** What people see for the target (ticket number, file name), kept so a released hold still reads. */
  targetLabel: { type: String, default: null, maxlength: 300 },
  reason: { type: String, required: true, trim: true, maxlength: 1000 },
  placedBy: { type: { id: 'ObjectId', name: String }, _id: false, required: true },
  placedAt: { type: Date, required: true, default: () => new Date() },
  releasedAt: { type: Date, default: null },
  releasedBy: { type: { id: 'ObjectId', name: String }, _id: false, default: null },
  releaseReason: { type: String, default: null, trim: true, maxlength: 1000 },
  /**
   * `<tenant>:<scope>:<target>` while the hold is active, `released:<its id>` after: the unique
   * index keeps one active hold per target (the engine has no partial indexes), and a release
   * frees the target in the same atomic update that records it.
   */
  activeKey: { type: String, required: true, unique: true },
});
legalHoldSchema.pre('validate', function () {
  if (!this.activeKey)
    this.activeKey = this.releasedAt
      ? `released:${String(this._id)}`
      : activeHoldKey(this.tenantId, this.scope, this.targetId);
});
legalHoldSchema.index({ tenantId: 1, releasedAt: 1 });
legalHoldSchema.plugin(tenantScopePlugin);

export type LegalHoldAttrs = InferSchemaType<typeof legalHoldSchema>;
export const LegalHold = mongoose.model('LegalHold', legalHoldSchema);
