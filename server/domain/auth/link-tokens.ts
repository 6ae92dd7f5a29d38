import { createHash, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { AuthToken, type AuthTokenPurpose } from '../../../models/auth-token.js';
import { AppError } from '../../errors/app-error.js';

export const linkLifetimeMs: Record<AuthTokenPurpose, number> = {
  reset: 60 * 60_000,
  invite: 7 * 24 * 60 * 60_000,
};

const hashOf = (raw: string): string => createHash('sha256').update(raw).digest('hex');

export async function issueLinkToken(
  userId: string,
  purpose: AuthTokenPurpose,
  now = new Date(),
): Promise<string> {
  const raw = randomBytes(32).toString('base64url');
  await AuthToken.create({
    tokenHash: hashOf(raw),
    userId: new Types.ObjectId(userId),
    purpose,
    expiresAt: new Date(now.getTime() + linkLifetimeMs[purpose]),
  });
  return raw;
}

const invalidLink = (): AppError =>
  new AppError('not_found', 'invalid or expired link', { messageKey: 'auth.link_invalid' });

/** Is this link still usable? (For showing the form; does not use it up.) */
export async function peekLinkToken(
  raw: string,
  purpose: AuthTokenPurpose,
  now = new Date(),
): Promise<string> {
  const row = await AuthToken.findOne({
    tokenHash: hashOf(raw),
    purpose,
    usedAt: null,
    expiresAt: { $gt: now },
  }).lean();
  if (!row) throw invalidLink();
  return String(row.userId);
}

/** Use the link up, once: the conditional update lets exactly one caller through. */
export async function consumeLinkToken(
  raw: string,
  purpose: AuthTokenPurpose,
  now = new Date(),
): Promise<string> {
  const row = await AuthToken.findOneAndUpdate(
    { tokenHash: hashOf(raw), purpose, usedAt: null, expiresAt: { $gt: now } },
    { $set: { usedAt: now } },
    { returnDocument: 'after' },
  ).lean();
  if (!row) throw invalidLink();
  return String(row.userId);
}
