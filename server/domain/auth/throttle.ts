import { LoginThrottle } from '../../../models/login-throttle.js';
import { AppError } from '../../errors/app-error.js';
import { escapeRegExp } from '../regex.js';

export const throttlePolicy = { maxFailures: 5, windowMs: 15 * 60_000 } as const;

export const throttleKey = (email: string, ip: string | null | undefined): string =>
  `${email.trim().toLowerCase()}|${ip ?? '-'}`;

/** Forgets every failure counter of an address (an erased person's), whatever the ip: the key's format is this file's. */
export async function forgetThrottlesOf(email: string): Promise<void> {
  const prefix = throttleKey(email, ''); // `<address>|`, every ip after it
  await LoginThrottle.deleteMany({ key: { $regex: `^${escapeRegExp(prefix)}` } });
}

/** Refuse a sign-in attempt while this (e-mail, ip) is over its failure budget. */
export async function assertNotThrottled(key: string, now = new Date()): Promise<void> {
  const row = await LoginThrottle.findOne({ key }).lean();
  if (!row || row.failures < throttlePolicy.maxFailures) return;
  const until = row.windowStart.getTime() + throttlePolicy.windowMs;
  if (until <= now.getTime()) return;
  throw new AppError('rate_limited', 'too many failed sign-ins', {
    messageKey: 'auth.throttled',
    retryAfterSeconds: Math.ceil((until - now.getTime()) / 1000),
  });
}

/** Count a failure with atomic updates: increment inside the window, or start a new window. */
export async function recordFailure(key: string, now = new Date()): Promise<void> {
  const windowFloor = new Date(now.getTime() - throttlePolicy.windowMs);
  const expiresAt = new Date(now.getTime() + throttlePolicy.windowMs);
  const inc = await LoginThrottle.updateOne(
    { key, windowStart: { $gt: windowFloor } },
    { $inc: { failures: 1 }, $set: { expiresAt } },
  );
  if (inc.matchedCount > 0) return;
  try {
    await LoginThrottle.updateOne(
      { key },
      { $set: { failures: 1, windowStart: now, expiresAt } },
      { upsert: true },
    );
  } catch (err) {
    // Two first failures raced on the unique key: the other one created the row.
    if ((err as { code?: number }).code !== 11000) throw err;
    await LoginThrottle.updateOne({ key }, { $inc: { failures: 1 } });
  }
}

export async function clearFailures(key: string): Promise<void> {
  await LoginThrottle.deleteOne({ key });
}
