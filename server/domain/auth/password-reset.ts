import { z } from 'zod';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { AppError } from '../../errors/app-error.js';
import { domainEvents } from '../events.js';
import { isLocale, type Locale } from '../../i18n/i18n.js';
import { enqueueMail } from '../mail/outbox.js';
import type { Ctx } from '../context.js';
import { recordAudit } from '../audit/audit.js';
import { linkUrl } from '../settings.js';
import { consumeLinkToken, issueLinkToken, peekLinkToken } from './link-tokens.js';
import { hashPassword, passwordRules } from './passwords.js';
import type { AuthTokenPurpose } from '../../../models/auth-token.js';

export const forgotPasswordSchema = z.object({ email: z.email().max(254) });

export const setPasswordSchema = z
  .object({
    password: z.string().min(passwordRules.min).max(passwordRules.max),
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, {
    path: ['confirm'],
    message: 'mismatch',
    params: { key: 'passwords_differ' },
  });

/**
 * Mail a reset link if the address belongs to an active account. The caller gets the same
 * answer either way, so the form cannot be used to find out who has an account.
 */
export async function requestPasswordReset(
  ctx: Ctx,
  input: z.infer<typeof forgotPasswordSchema>,
  fallbackLocale: Locale,
): Promise<void> {
  const user = await User.findOne({ email: input.email.toLowerCase(), status: 'active' }).setOptions({
    allTenants: true,
  });
  if (!user) {
    ctx.log.info({ email: input.email }, 'password reset for unknown or inactive address');
    return;
  }
  const tenant = user.tenantId ? await Tenant.findById(user.tenantId).lean() : null;
  const locale: Locale = isLocale(user.locale)
    ? user.locale
    : tenant && isLocale(tenant.locale)
      ? tenant.locale
      : fallbackLocale;
  const token = await issueLinkToken(user.id as string, 'reset');
  await enqueueMail(ctx, {
    key: `reset:${String(user.id)}:${token.slice(0, 12)}`,
    tenantId: user.tenantId ? String(user.tenantId) : null,
    to: user.email,
    locale,
    template: 'password_reset',
    params: { name: user.name, link: linkUrl(`/password/reset/${token}`) },
  });
}

export async function checkLink(_ctx: Ctx, raw: string, purpose: AuthTokenPurpose): Promise<void> {
  await peekLinkToken(raw, purpose);
}

/**
 * Set a password through a reset or invitation link. The input is validated before the link
 * is used up, so a typo does not burn the link. Other sessions of the user end.
 */
export async function completeLink(
  ctx: Ctx,
  raw: string,
  purpose: AuthTokenPurpose,
  input: z.infer<typeof setPasswordSchema>,
): Promise<void> {
  const passwordHash = await hashPassword(input.password);
  const userId = await consumeLinkToken(raw, purpose);
  const user = await User.findOneAndUpdate(
    { _id: userId, status: purpose === 'invite' ? 'invited' : 'active' },
    { $set: { passwordHash, status: 'active' }, $inc: { sessionVersion: 1 } },
    { returnDocument: 'after' },
  ).setOptions({ allTenants: true });
  if (!user) {
    // Disabled (or already activated) since the link was sent: the link is spent and does nothing.
    ctx.log.warn({ userId, purpose }, 'link used for an account in another state');
    throw new AppError('not_found', 'account not in a state this link can change', {
      messageKey: 'auth.link_invalid',
    });
  }
  // A new password ends every other session, live connections included.
  domainEvents.emit('user.sessions_revoked', { userId: String(user._id) });
  await recordAudit(ctx, {
    action: purpose === 'invite' ? 'user.enabled' : 'auth.password_reset',
    tenantId: user.tenantId ? String(user.tenantId) : null,
    targetId: user.id as string,
    targetLabel: user.email,
    actorEmail: user.email,
  });
}
