import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * A ticket being created: written before the ticket, deleted once its attachments, its history
 * (the `created` entry, the invoice key) and its confirmation mail are written. A row older than a few seconds
 * is a creation a crash interrupted, which `completeTicketSetups` finishes. `_id` is the ticket's
 * id. The collection holds only creations in flight, so the repair's scan stays small on an engine
 * where every non-unique query is a scan. No tenant-scope plugin: only the system reads it.
 */
const ticketSetupSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    tenantId: { type: Schema.Types.ObjectId, ref: 'Tenant', required: true },
    /** Whether the requester gets the confirmation mail (imports do not). */
    notify: { type: Boolean, required: true },
    /**
     * The ids its attachments are stored under, chosen before: a crash mid-upload leaves ids the
     * repair can look up and clean, never bytes nothing points at.
     */
    fileIds: { type: [Schema.Types.ObjectId], default: [] },
    createdAt: { type: Date, required: true },
    /** Repair runs that failed on it, and the last error: after a few it is set aside (`stuck`). */
    attempts: { type: Number, default: 0 },
    lastError: { type: String, default: null },
    /** Set aside: the repair failed on it too often; logged, left for an operator, never retried. */
    stuck: { type: Boolean, default: false },
  },
  { versionKey: false },
);

export type TicketSetupAttrs = InferSchemaType<typeof ticketSetupSchema>;
export const TicketSetup = mongoose.model('TicketSetup', ticketSetupSchema, 'ticketsetups');
