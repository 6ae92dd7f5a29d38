import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { optionalTenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/** Append-only record of security-relevant actions (who, what, when, tenant, ip). */
const auditEventSchema = new Schema({
  at: { type: Date, required: true, default: () => new Date() },
  action: { type: String, required: true },
  tenantId: optionalTenantRef(),
  actorId: { type: 'ObjectId', ref: 'User', default: null },
  actorEmail: { type: String, default: null },
  targetId: { type: 'ObjectId', default: null },
  targetLabel: { type: String, default: null },
  ip: { type: String, default: null },
  requestId: { type: String, default: null },
  details: { type: Schema.Types.Mixed, default: {} },
  /**
   * Entries of the chained areas (retention, holds, purges, erasure) carry their place in the
   * portal's one hash chain: position, the previous entry's hash, and their own (see
   * server/domain/audit/audit-chain.ts). Absent on other entries.
   */
  chain: {
    type: { seq: Number, prev: String, hash: String, key: String },
    _id: false,
    default: undefined,
  },
});
auditEventSchema.plugin(tenantScopePlugin);

export type AuditEventAttrs = InferSchemaType<typeof auditEventSchema>;
export const AuditEvent = mongoose.model('AuditEvent', auditEventSchema);
