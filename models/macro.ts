import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { optionalTenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';
import { priorities, ticketTypes } from './ticket.js';

/** The statuses a macro may set (staff moves the one-step reply also makes, plus reopening). */
export const macroStatuses = ['open', 'pending', 'resolved'] as const;
export type MacroStatus = (typeof macroStatuses)[number];

const replyText = new Schema(
  {
    en: { type: String, default: '', maxlength: 20_000 },
    it: { type: String, default: '', maxlength: 20_000 },
    da: { type: String, default: '', maxlength: 20_000 },
  },
  { _id: false },
);

/**
 * A canned reply and the changes that go with it (server/domain/macros/). Kept by team leads and
 * admins for every client (`tenantId` null) or for one client; a client's macro is seen and
 * applied only on that client's tickets.
 */
const macroSchema = new Schema(
  {
    tenantId: optionalTenantRef(),
    name: { type: String, required: true, trim: true, maxlength: 80 },
    /** The ticket type it is for (its type fields may be placeholders and changes); null: any type. */
    type: { type: String, enum: [...ticketTypes, null], default: null },
    body: { type: replyText, required: true },
    status: { type: String, enum: [...macroStatuses, null], default: null },
    priority: { type: String, enum: [...priorities, null], default: null },
    /** Tags added to the ticket's own. */
    tags: { type: [String], default: [] },
    /** Type fields set (only with a type). */
    fields: { type: Schema.Types.Mixed, default: {} },
    active: { type: Boolean, required: true, default: true },
    updatedBy: { type: String, default: '' },
  },
  { timestamps: true, minimize: false },
);
// One name per scope (every client, or one client): the unique index decides a race.
macroSchema.index({ tenantId: 1, name: 1 }, { unique: true });
macroSchema.plugin(tenantScopePlugin);

export type MacroAttrs = InferSchemaType<typeof macroSchema>;
export const Macro = mongoose.model('Macro', macroSchema);

/**
 * How often one person applied one macro: one document per (user, macro), counted with an atomic
 * upsert and $inc, so "most used first" is per operator and two applies at once both count.
 */
const macroUsageSchema = new Schema({
  userId: { type: 'ObjectId', ref: 'User', required: true },
  macroId: { type: 'ObjectId', ref: 'Macro', required: true },
  count: { type: Number, required: true, default: 0 },
  lastUsedAt: { type: Date, default: null },
});
macroUsageSchema.index({ userId: 1, macroId: 1 }, { unique: true });

export type MacroUsageAttrs = InferSchemaType<typeof macroUsageSchema>;
export const MacroUsage = mongoose.model('MacroUsage', macroUsageSchema);
