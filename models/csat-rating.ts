import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { priorities, ticketTypes } from './ticket.js';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/**
 * One satisfaction survey: written when the resolved mail offering it is queued (so the response
 * rate has a denominator), rated later through the signed link (server/domain/csat/). One per
 * resolution: the unique index on (tenant, ticket, resolution) decides, and the rating is a
 * conditional update of this row, so a second click within the window changes the score.
 * The assignee, type and priority are those of the moment the ticket was resolved.
 */
const csatRatingSchema = new Schema({
  tenantId: tenantRef(),
  ticketId: { type: 'ObjectId', ref: 'Ticket', required: true },
  number: { type: String, required: true },
  /** Which resolution: the ticket's version when it was resolved (each resolution has its own). */
  resolution: { type: Number, required: true },
  resolvedAt: { type: Date, required: true },
  /** After this the link no longer rates or changes the rating. */
  expiresAt: { type: Date, required: true },
  assignee: {
    type: { id: { type: 'ObjectId', default: null }, name: { type: String, default: '' } },
    default: null,
    _id: false,
  },
  type: { type: String, required: true, enum: ticketTypes },
  priority: { type: String, required: true, enum: priorities },
  /** 1..5; null while unanswered. */
  score: { type: Number, default: null, min: 1, max: 5 },
  ratedAt: { type: Date, default: null },
  comment: { type: String, default: '', maxlength: 2000 },
  /** Bumped on every rating or comment: the timeline entry's key, so each change is one webhook event. */
  changes: { type: Number, required: true, default: 0 },
  /**
   * The timeline entry each rating (or comment) update carries, pulled once written: a crash in
   * between leaves it, and the webhook sweep writes it (the one mechanism of
   * server/domain/tickets/pending-entries.ts, as for a ticket's status changes).
   */
  pendingEntries: { type: [Schema.Types.Mixed], default: undefined },
});
csatRatingSchema.index({ tenantId: 1, ticketId: 1, resolution: 1 }, { unique: true });
csatRatingSchema.index({ tenantId: 1, resolvedAt: 1 });
csatRatingSchema.index({ 'pendingEntries.at': 1 });
csatRatingSchema.plugin(tenantScopePlugin);

export type CsatRatingAttrs = InferSchemaType<typeof csatRatingSchema>;
export const CsatRating = mongoose.model('CsatRating', csatRatingSchema);
