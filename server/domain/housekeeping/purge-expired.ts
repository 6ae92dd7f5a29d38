import { AuthToken } from '../../../models/auth-token.js';
import { IdempotencyKey } from '../../../models/idempotency-key.js';
import { LoginThrottle } from '../../../models/login-throttle.js';
import { unscopedCollection } from '../../db/scoped-collection.js';
import type { Ctx } from '../context.js';
import { purgeExpiredImportBatches } from '../tickets/csv-import.js';
import { purgeStalePendingUploads } from '../tickets/pending-uploads.js';
import { purgeWebhookHistory } from '../webhooks/purge-history.js';

/**
 * Delete what has expired; each row also carries its expiry, checked on every read. Inbound mail
 * records (which also remember Message-IDs to ignore a second delivery) are not among them: they
 * are the "raw inbound mail" of the client's retention policy, deleted by the retention purge at
 * their date and never while a legal hold keeps their ticket (domain/retention/).
 */
export async function purgeExpired(ctx: Ctx, now = new Date()): Promise<Record<string, number>> {
  const sessions = unscopedCollection('sessions', 'login sessions (connect-mongo): not tenant data');
  const [s, t, l, i, k, p, w] = await Promise.all([
    sessions ? sessions.deleteMany({ expires: { $lt: now } }) : Promise.resolve({ deletedCount: 0 }),
    AuthToken.deleteMany({ $or: [{ expiresAt: { $lt: now } }, { usedAt: { $ne: null } }] }),
    LoginThrottle.deleteMany({ expiresAt: { $lt: now } }),
    purgeExpiredImportBatches(now),
    IdempotencyKey.deleteMany({ expiresAt: { $lt: now } }).setOptions({ allTenants: true }),
    purgeStalePendingUploads(now),
    purgeWebhookHistory(now),
  ]);
  const removed = {
    sessions: s.deletedCount,
    linkTokens: t.deletedCount,
    throttles: l.deletedCount,
    importBatches: i,
    idempotencyKeys: k.deletedCount,
    pendingUploads: p,
    webhookAttempts: w.attempts,
    webhookEvents: w.events,
  };
  ctx.log.debug(removed, 'expired rows purged');
  return removed;
}
