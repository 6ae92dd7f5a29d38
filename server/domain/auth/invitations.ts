import type { UserDoc } from '../../../models/user.js';
import type { Locale } from '../../i18n/i18n.js';
import { enqueueMail } from '../mail/outbox.js';
import type { Ctx } from '../context.js';
import { issueLinkToken } from './link-tokens.js';
import { linkUrl } from '../settings.js';

/** Mail an invitation link; the invitee sets their own password, the inviter never knows it. */
export async function sendInvitation(
  ctx: Ctx,
  user: UserDoc,
  locale: Locale,
  organisation: string,
): Promise<void> {
  const token = await issueLinkToken(user.id as string, 'invite');
  const inviter = ctx.actor.kind === 'user' ? ctx.actor.name : organisation;
  await enqueueMail(ctx, {
    key: `invite:${String(user.id)}:${token.slice(0, 12)}`,
    tenantId: user.tenantId ? String(user.tenantId) : null,
    to: user.email,
    locale,
    template: 'invitation',
    params: { name: user.name, inviter, organisation, link: linkUrl(`/invite/${token}`) },
  });
}
