import type { UserDoc } from '../../../models/user.js';
import type { Locale } from '../../i18n/i18n.js';
import { sendMail } from '../mail/mailer.js';
import type { Ctx } from '../context.js';
import { issueLinkToken } from './link-tokens.js';

export interface LinkSettings {
  publicUrl: string;
}

let settings: LinkSettings = { publicUrl: 'http://localhost:3000' };
export function configureLinks(next: LinkSettings): void {
  settings = next;
}

export const linkUrl = (path: string): string => `${settings.publicUrl}${path}`;

/** Mail an invitation link; the invitee sets their own password, the inviter never knows it. */
export async function sendInvitation(ctx: Ctx, user: UserDoc, locale: Locale, organisation: string): Promise<void> {
  const token = await issueLinkToken(user.id as string, 'invite');
  const inviter = ctx.actor.kind === 'user' ? ctx.actor.name : organisation;
  await sendMail({
    to: user.email,
    locale,
    template: 'invitation',
    params: { name: user.name, inviter, organisation, link: linkUrl(`/invite/${token}`) },
  });
}
