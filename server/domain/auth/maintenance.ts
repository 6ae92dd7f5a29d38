import mongoose from 'mongoose';
import { AuthToken } from '../../../models/auth-token.js';
import { LoginThrottle } from '../../../models/login-throttle.js';
import type { Ctx } from '../context.js';

/** Delete what has expired; each row also carries its expiry, checked on every read. */
export async function purgeExpired(ctx: Ctx, now = new Date()): Promise<Record<string, number>> {
  const sessions = mongoose.connection.db?.collection('sessions');
  const [s, t, l] = await Promise.all([
    sessions ? sessions.deleteMany({ expires: { $lt: now } }) : Promise.resolve({ deletedCount: 0 }),
    AuthToken.deleteMany({ $or: [{ expiresAt: { $lt: now } }, { usedAt: { $ne: null } }] }),
    LoginThrottle.deleteMany({ expiresAt: { $lt: now } }),
  ]);
  const removed = { sessions: s.deletedCount, linkTokens: t.deletedCount, throttles: l.deletedCount };
  ctx.log.debug(removed, 'expired rows purged');
  return removed;
}
