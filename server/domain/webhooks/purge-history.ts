import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { crossTenant } from '../../db/scoped-collection.js';

/** How long attempts and finished events are kept. */
export const WEBHOOK_HISTORY_DAYS = 90;

const attempts = crossTenant(WebhookAttempt, 'the 90-day purge of every tenant’s webhook attempts, by time');
const events = crossTenant(
  WebhookEvent,
  'the 90-day purge of every tenant’s finished webhook events, by time',
);

/**
 * Delete attempts older than 90 days and events finished more than 90 days ago: delivered
 * (`deliveredAt`) or given up (`failed`, its last scheduled attempt). Pending and delivering events
 * are never deleted; an event replayed since is finished again only after its new attempts.
 * The attempt that delivered an event, kept on it (`okAttempt`), goes by its own time like the
 * others (first, so it is counted: it is never later than the event's `deliveredAt`).
 */
export async function purgeWebhookHistory(now = new Date()): Promise<{ attempts: number; events: number }> {
  const floor = new Date(now.getTime() - WEBHOOK_HISTORY_DAYS * 24 * 3_600_000);
  const kept = await events.updateMany({ 'okAttempt.at': { $lt: floor } }, { $unset: { okAttempt: '' } });
  const [a, e] = await Promise.all([
    attempts.deleteMany({ at: { $lt: floor } }),
    events.deleteMany({
      $or: [
        { status: 'delivered', deliveredAt: { $lt: floor } },
        { status: 'failed', nextAttemptAt: { $lt: floor } },
      ],
    }),
  ]);
  return { attempts: a.deletedCount + kept.modifiedCount, events: e.deletedCount };
}
