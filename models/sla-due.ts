import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * The SLA due list: one row per ticket whose clock has an event pending, `at` no later than that
 * event (server/domain/sla/due-list.ts). The sweep reads this small collection instead of every
 * ticket: on the embedded engine a range query is a scan, and tickets grow without end while
 * this holds only open work. `_id` is the ticket's id; `stamp` changes on every write, and the
 * unique index on (_id, stamp) makes "settle this row unless someone wrote it since I read it"
 * an index look-up on the engine. No tenant-scope plugin: only the system reads it, across tenants.
 */
const slaDueSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    tenantId: { type: Schema.Types.ObjectId, ref: 'Tenant', required: true },
    at: { type: Date, required: true },
    stamp: { type: Schema.Types.ObjectId, required: true },
  },
  { versionKey: false },
);
slaDueSchema.index({ _id: 1, stamp: 1 }, { unique: true });

export type SlaDueAttrs = InferSchemaType<typeof slaDueSchema>;
export const SlaDue = mongoose.model('SlaDue', slaDueSchema, 'sladues');
