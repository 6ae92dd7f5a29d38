import mongoose, { Schema, type InferSchemaType } from 'mongoose';

export const queueViewSorts = [
  'due',
  'number',
  'client',
  'subject',
  'type',
  'priority',
  'status',
  'assignee',
  'created',
] as const;
export type QueueViewSort = (typeof queueViewSorts)[number];
/** SLA state as a queue filters it: by the next deadline (indexed), not by the clock's inner state. */
export const queueViewSlaStates = ['breached', 'soon', 'ok', 'none'] as const;
/** Whose tickets: the queue's own (unassigned), mine, or anyone's. */
export const queueViewAssignees = ['unassigned', 'me', 'any'] as const;

/**
 * One person's way of looking at one queue: sort and filters, saved as they last chose them.
 * A staff-level object (the user and the queue are the provider's), one per (user, queue).
 */
const queueViewSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    queueId: { type: Schema.Types.ObjectId, ref: 'Queue', required: true },
    sort: { type: String, enum: queueViewSorts, default: null },
    dir: { type: String, enum: ['asc', 'desc'], default: 'asc' },
    q: { type: String, default: '', maxlength: 100 },
    tenantId: { type: Schema.Types.ObjectId, ref: 'Tenant', default: null },
    type: { type: String, default: '' },
    priority: { type: String, default: '' },
    slaState: { type: String, default: '' },
    assignee: { type: String, enum: queueViewAssignees, default: 'unassigned' },
  },
  { timestamps: true },
);
queueViewSchema.index({ userId: 1, queueId: 1 }, { unique: true });

export type QueueViewAttrs = InferSchemaType<typeof queueViewSchema>;
export const QueueView = mongoose.model('QueueView', queueViewSchema);
