import { Types } from 'mongoose';
import { z } from 'zod';
import { Tenant } from '../../../models/tenant.js';
import { User, type UserDoc } from '../../../models/user.js';
import { AppError } from '../../errors/app-error.js';
import { deriveCtx, type Ctx } from '../context.js';
import { cachedProvider } from '../provider.js';
import { recordAudit } from '../audit/audit.js';
import { verifyPassword } from './passwords.js';
import { toProfile, type Profile, type ProviderDefaults } from './profile.js';
import { assertNotThrottled, clearFailures, recordFailure, throttleKey } from './throttle.js';

export const signInInputSchema = z.object({
  email: z.string().trim().max(254),
  password: z.string().max(200),
});
export type SignInInput = z.infer<typeof signInInputSchema>;

const badCredentials = (): AppError =>
  new AppError('unauthenticated', 'invalid credentials', { messageKey: 'auth.invalid_credentials' });

async function providerDefaults(fallback: ProviderDefaults): Promise<ProviderDefaults> {
  const provider = await cachedProvider();
  if (!provider) return fallback;
  return { locale: provider.locale as ProviderDefaults['locale'], timeZone: provider.timeZone };
}

/** Load the profile of a user who may still sign in (active, and their tenant not suspended). */
async function activeProfile(user: UserDoc, fallback: ProviderDefaults): Promise<Profile | null> {
  if (user.status !== 'active') return null;
  const tenant = user.tenantId ? await Tenant.findById(user.tenantId) : null;
  if (user.tenantId && (!tenant || tenant.status !== 'active')) return null;
  return toProfile(user, tenant, await providerDefaults(fallback));
}

/**
 * Check credentials. Every failure looks the same to the caller (no account enumeration);
 * the audit log keeps the real reason.
 */
export async function signIn(
  ctx: Ctx,
  input: SignInInput,
  fallback: ProviderDefaults,
): Promise<{ profile: Profile; sessionVersion: number }> {
  const email = input.email.trim().toLowerCase();
  const key = throttleKey(email, ctx.ip);
  try {
    await assertNotThrottled(key);
  } catch (err) {
    await recordAudit(ctx, { action: 'auth.sign_in_throttled', actorEmail: email });
    throw err;
  }
  const user = await User.findOne({ email }).setOptions({ allTenants: true });
  const passwordOk = await verifyPassword(user?.passwordHash, input.password);
  const profile = user && passwordOk ? await activeProfile(user, fallback) : null;
  if (!user || !profile) {
    await recordFailure(key);
    const reason = !user ? 'unknown_email' : !passwordOk ? 'bad_password' : 'inactive';
    await recordAudit(ctx, {
      action: 'auth.sign_in_failed',
      actorEmail: email,
      tenantId: user?.tenantId ? String(user.tenantId) : null,
      details: { reason },
    });
    throw badCredentials();
  }
  await clearFailures(key);
  await User.updateOne({ _id: user._id, tenantId: user.tenantId }, { $set: { lastLoginAt: new Date() } });
  await recordAudit(deriveCtx(ctx, { actor: profile }), {
    action: 'auth.sign_in',
    tenantId: profile.tenantId,
    targetId: profile.userId,
  });
  return { profile, sessionVersion: user.sessionVersion };
}

/**
 * Rebuild the profile behind a session on every request, so that disabling a user,
 * suspending a tenant or changing a password takes effect on the next request.
 */
export async function profileForSession(
  userId: string,
  sessionVersion: number,
  fallback: ProviderDefaults,
): Promise<Profile | null> {
  if (!Types.ObjectId.isValid(userId)) return null;
  const user = await User.findOne({ _id: userId }).setOptions({ allTenants: true });
  if (!user || user.sessionVersion !== sessionVersion) return null;
  return activeProfile(user, fallback);
}
