import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

export const timelineKinds = [
  'created',
  'reply',
  'note',
  'status',
  'fields',
  'assignment',
  'attachment',
  'sla',
  'approval',
  'csat',
  /** A link to another ticket: closed as its duplicate, or merged (tickets/close-as-duplicate.ts). */
  'link',
  /** The records of a data-entry ticket: batch finished, lot accepted or rejected, differences settled (quality/keying-timeline.ts). */
  'keying',
] as const;
export type TimelineKind = (typeof timelineKinds)[number];

/**
 * One append-only entry of a ticket's history. Internal entries (notes, assignments, SLA
 * events) are never shown to clients.
 */
const timelineEntrySchema = new Schema({
  tenantId: tenantRef(),
  /** Unique per entry; deterministic for entries that must be written once (SLA events). */
  key: {
    type: String,
    required: true,
    unique: true,
    default: () => new mongoose.Types.ObjectId().toHexString(),
  },
  ticketId: { type: 'ObjectId', ref: 'Ticket', required: true },
  at: { type: Date, required: true, default: () => new Date() },
  kind: { type: String, required: true, enum: timelineKinds },
  visibility: { type: String, required: true, enum: ['public', 'internal'] },
  author: {
    type: {
      id: { type: 'ObjectId', default: null },
      name: String,
      kind: { type: String, enum: ['client', 'staff', 'system'] },
    },
    _id: false,
  },
  body: { type: String, default: '' },
  data: { type: Schema.Types.Mixed, default: {} },
  attachmentIds: { type: ['ObjectId'], default: [] },
});
timelineEntrySchema.plugin(tenantScopePlugin);

export type TimelineEntryAttrs = InferSchemaType<typeof timelineEntrySchema>;
export const TimelineEntry = mongoose.model('TimelineEntry', timelineEntrySchema);
