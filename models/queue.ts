import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { priorities, ticketTypes } from './ticket.js';

export const queueOrders = ['sla', 'priority', 'oldest', 'newest'] as const;
export type QueueOrder = (typeof queueOrders)[number];

/**
 * A named view on the work, defined by team leads: which tenants, types, priorities and tags,
 * in which order. A provider-level object: who sees which tickets of it is still decided by the
 * viewer's tenants (an empty `tenantIds` means "every tenant the viewer serves").
 */
const queueSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, maxlength: 80 },
    key: { type: String, required: true, unique: true, lowercase: true, trim: true },
    description: { type: String, default: '', maxlength: 500 },
    tenantIds: { type: [{ type: Schema.Types.ObjectId, ref: 'Tenant' }], default: [] },
    types: { type: [{ type: String, enum: ticketTypes }], default: [] },
    priorities: { type: [{ type: String, enum: priorities }], default: [] },
    tags: { type: [String], default: [] },
    order: { type: String, required: true, enum: queueOrders, default: 'sla' },
    active: { type: Boolean, required: true, default: true },
  },
  { timestamps: true },
);

export type QueueAttrs = InferSchemaType<typeof queueSchema>;
export const Queue = mongoose.model('Queue', queueSchema);
