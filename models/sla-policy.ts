import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';
import { AppError } from '../server/errors/app-error.js';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';
import { priorities, ticketTypes } from './ticket.js';

/**
 * A tenant's SLA policy, versioned: each save inserts a new document with version n+1 (the
 * unique index on tenantId + version decides two concurrent saves), and a version never changes
 * once written, so a ticket keeps the targets of the version it was opened under. Targets are
 * business minutes on the tenant's calendar, one per ticket type x priority.
 */
const slaPolicySchema = new Schema({
  tenantId: tenantRef(),
  version: { type: Number, required: true, min: 1, immutable: true },
  calendarId: { type: Schema.Types.ObjectId, ref: 'SlaCalendar', default: null },
  targets: {
    type: [
      {
        type: { type: String, required: true, enum: ticketTypes },
        priority: { type: String, required: true, enum: priorities },
        firstResponseMinutes: { type: Number, required: true, min: 0 },
        resolutionMinutes: { type: Number, required: true, min: 0 },
      },
    ],
    default: [],
    _id: false,
  },
  /** Percentages of a target's time at which a warning is recorded. */
  warnAt: { type: [Number], default: () => [75, 90] },
  escalation: {
    type: {
      raisePriority: { type: Boolean, default: false },
      notifyClient: { type: Boolean, default: false },
    },
    default: () => ({ raisePriority: false, notifyClient: false }),
    _id: false,
  },
  /** The client turned satisfaction surveys off: resolved mails carry no rating links. */
  csatOptOut: { type: Boolean, default: false },
  createdAt: { type: Date, required: true, default: () => new Date(), immutable: true },
  createdBy: {
    type: { id: { type: 'ObjectId', ref: 'User', default: null }, name: { type: String, default: '' } },
    required: true,
    _id: false,
  },
});
slaPolicySchema.index({ tenantId: 1, version: 1 }, { unique: true });
slaPolicySchema.plugin(tenantScopePlugin);

/** Versions are immutable: no update of any kind, and no second save of a stored document. */
const immutable = (): never => {
  throw new AppError('conflict', 'an SLA policy version is immutable: save a new version');
};
for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'findOneAndReplace'] as const)
  slaPolicySchema.pre(op, { document: false, query: true }, immutable);
slaPolicySchema.pre('save', function (this: { isNew: boolean }) {
  if (!this.isNew) immutable();
});

export type SlaPolicyAttrs = InferSchemaType<typeof slaPolicySchema>;
/** A stored policy version, as `lean()` reads it. */
export type SlaPolicyDoc = SlaPolicyAttrs & { _id: Types.ObjectId };
export const SlaPolicy = mongoose.model('SlaPolicy', slaPolicySchema);
