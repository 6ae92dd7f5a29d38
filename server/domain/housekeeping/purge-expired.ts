import { AuthToken } from '../../../models/auth-token.js';
import { IdempotencyKey } from '../../../models/idempotency-key.js';
import { InboundMessage } from '../../../models/inbound-message.js';
import { LoginThrottle } from '../../../models/login-throttle.js';
import { unscopedCollection } from '../../db/scoped-collection.js';
import type { Ctx } from '../context.js';
import { purgeExpiredImportBatches } from '../tickets/csv-import.js';
import { purgeStalePendingUploads } from '../tickets/pending-uploads.js';
import { purgeWebhookHistory } from '../webhooks/purge-history.js';

/** How long an inbound mail's Message-ID is remembered to ignore a second delivery of it. */
export const inboundDedupeDays = 90;

/** Delete what has expired; each row also carries its expiry, checked on every read. */
export async function purgeExpired(ctx: Ctx, now = new Date()): Promise<Record<string, number>> {
  const sessions = unscopedCollection('sessions', 'login sessions (connect-mongo): not tenant data');
  const inboundFloor = new Date(now.getTime() - inboundDedupeDays * 24 * 3600_000);
  const [s, t, l, i, k, m, p, w] = await Promise.all([
    sessions ? sessions.deleteMany({ expires: { $lt: now } }) : Promise.resolve({ deletedCount: 0 }),
    AuthToken.deleteMany({ $or: [{ expiresAt: { $lt: now } }, { usedAt: { $ne: null } }] }),
    LoginThrottle.deleteMany({ expiresAt: { $lt: now } }),
    purgeExpiredImportBatches(now),
    IdempotencyKey.deleteMany({ expiresAt: { $lt: now } }).setOptions({ allTenants: true }),
    InboundMessage.deleteMany({ status: 'done', doneAt: { $lt: inboundFloor } }).setOptions({
      allTenants: true,
    }),
    purgeStalePendingUploads(now),
    purgeWebhookHistory(now),
  ]);
  const removed = {
    sessions: s.deletedCount,
    linkTokens: t.deletedCount,
    throttles: l.deletedCount,
    importBatches: i,
    idempotencyKeys: k.deletedCount,
    inboundMessages: m.deletedCount,
    pendingUploads: p,
    webhookAttempts: w.attempts,
    webhookEvents: w.events,
  };
  ctx.log.debug(removed, 'expired rows purged');
  return removed;
}
