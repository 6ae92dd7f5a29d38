import { Schema } from 'mongoose';

/**
 * What one delivery attempt records: a WebhookAttempt row holds it, and so does the event it
 * delivered (`okAttempt`, written with the delivered mark). One definition for both places the
 * history (list-attempts.ts) reads.
 */
export const attemptFields = {
  attempt: { type: Number, required: true },
  at: { type: Date, required: true },
  url: { type: String, required: true },
  requestHeaders: { type: Schema.Types.Mixed, default: {} },
  status: { type: Number, default: null },
  responseExcerpt: { type: String, default: '' },
  latencyMs: { type: Number, required: true },
  error: { type: String, default: null },
  ok: { type: Boolean, required: true },
};
