import mongoose, { Schema } from 'mongoose';

/**
 * The event keys mail was ever queued for (`_id` is the key, e.g. `ticket:<id>:created`): the
 * unique _id index is what makes "the same event never queues a second mail" hold for good,
 * also after the mail has been sent and its row has left the outbox (mail/outbox.ts). Never
 * read on a hot path; a row is only ever inserted (or, when queueing failed, taken back).
 */
const mailKeySchema = new Schema({
  _id: { type: String, required: true },
  /** The outbox row (and later the sent-mail row) that holds this key's mail. */
  mailId: { type: Schema.Types.ObjectId, required: true },
  createdAt: { type: Date, required: true, default: () => new Date() },
});

export const MailKey = mongoose.model('MailKey', mailKeySchema);
