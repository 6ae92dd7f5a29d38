import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/** What a data subject asks for: a copy of their data (GDPR art. 15 and 20), or its erasure (art. 17). */
export const privacyRequestKinds = ['export', 'erasure'] as const;
export type PrivacyRequestKind = (typeof privacyRequestKinds)[number];

/**
 * `requested` by a client admin (or an admin), then `approved` or `rejected` by an admin; an
 * approved erasure is `running` while it works (a lease: a run cut short is finished by the sweep)
 * and `done` after. An approved export stays `approved`: its archive is built on each download.
 */
export const privacyRequestStatuses = ['requested', 'approved', 'rejected', 'running', 'done'] as const;
export type PrivacyRequestStatus = (typeof privacyRequestStatuses)[number];

/** The key that keeps one open request per client, kind and person. */
export const openPrivacyKey = (tenantId: unknown, kind: string, email: string, name: string): string =>
  `${String(tenantId)}:${kind}:${email.toLowerCase()}:${name.toLowerCase()}`;

const personRef = { type: { id: 'ObjectId', name: String }, _id: false, default: null } as const;

const privacyRequestSchema = new Schema({
  tenantId: tenantRef(),
  kind: { type: String, required: true, enum: privacyRequestKinds },
  status: { type: String, required: true, enum: privacyRequestStatuses, default: 'requested' },
  /**
   * Who the request is about, as the requester identified them. An erasure replaces these with
   * its pseudonym in the update that marks it done: the request keeps no trace of the person.
   */
  subject: {
    type: { email: String, name: String, phone: String },
    _id: false,
    required: true,
  },
  note: { type: String, default: '', trim: true, maxlength: 2000 },
  requestedBy: { ...personRef, required: true },
  requestedAt: { type: Date, required: true, default: () => new Date() },
  decidedBy: personRef,
  decidedAt: { type: Date, default: null },
  decisionNote: { type: String, default: '', trim: true, maxlength: 2000 },
  /** The erasure's work list, fixed when it starts so a resumed run erases the same things. */
  plan: { type: Schema.Types.Mixed, default: null },
  /** A running erasure's lease: past it, the sweep takes the run over. */
  leaseUntil: { type: Date, default: null },
  startedAt: { type: Date, default: null },
  doneAt: { type: Date, default: null },
  /** What an erasure did (counts per collection); no personal data. */
  result: { type: Schema.Types.Mixed, default: null },
  /** Downloads of an export's archive (who, when). */
  downloads: { type: [{ by: personRef, at: Date, _id: false }], default: [] },
  /**
   * `<tenant>:<kind>:<email>:<name>` while the request is open, `closed:<id>` once rejected or
   * done: the unique index keeps one open request per person (the engine has no partial indexes).
   */
  openKey: { type: String, required: true, unique: true },
});
privacyRequestSchema.index({ tenantId: 1, requestedAt: -1 });
privacyRequestSchema.plugin(tenantScopePlugin);

export type PrivacyRequestAttrs = InferSchemaType<typeof privacyRequestSchema>;
export const PrivacyRequest = mongoose.model('PrivacyRequest', privacyRequestSchema);
