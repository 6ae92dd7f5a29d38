import type { TicketAttrs } from '../../../models/ticket.js';
import { User } from '../../../models/user.js';
import { isLocale, type Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { enqueueMail } from '../mail/outbox.js';
import { threadId } from '../mail/thread-id.js';
import { cachedTenant } from '../tenants/cache.js';
import type { MailTemplate } from '../mail/mailer.js';
import { inboundAddress, linkUrl } from '../settings.js';

type TicketLike = Pick<TicketAttrs, 'tenantId' | 'number' | 'subject' | 'requester' | 'status'> & {
  _id: unknown;
};

export interface NotifyOptions {
  /**
   * The caller is the requester, signed in (so active) right now, and this is their locale (the
   * actor's: the user's own, else the tenant's): their account is not read again.
   */
  requesterLocale?: Locale;
  /** The ticket was created in this same operation: no mail can have been queued for this event yet. */
  newTicket?: boolean;
}

/**
 * Queue a mail about a ticket to its requester, in the requester's locale (or the tenant's),
 * with Reply-To the tenant's intake address so an answer by mail lands on the ticket.
 */
export async function notifyRequester(
  ctx: Ctx,
  ticket: TicketLike,
  template: MailTemplate,
  eventKey: string,
  /** More parameters of the template; a function of the reader's locale when they depend on it. */
  extra: Record<string, string> | ((locale: Locale) => Record<string, string>) = {},
  opts: NotifyOptions = {},
) {
  const to = ticket.requester?.email;
  if (!to) return;
  const { requesterLocale } = opts;
  const [tenant, found] = await Promise.all([
    cachedTenant(ticket.tenantId),
    // By _id alone, then checked to be of this tenant: the engine answers only a filter that is
    // exactly a unique index's keys from the index, anything else is a scan of all users.
    !requesterLocale && ticket.requester?.id
      ? User.findOne({ _id: ticket.requester.id }).setOptions({ allTenants: true }).lean()
      : null,
  ]);
  if (!tenant) return;
  const user = found && String(found.tenantId) === String(ticket.tenantId) ? found : null;
  if (user && user.status === 'disabled') return;
  const locale: Locale =
    requesterLocale ??
    (user && isLocale(user.locale) ? user.locale : isLocale(tenant.locale) ? tenant.locale : 'en');
  await enqueueMail(ctx, {
    key: `ticket:${String(ticket._id)}:${eventKey}`,
    tenantId: String(ticket.tenantId),
    to,
    locale,
    template,
    params: {
      name: ticket.requester?.name ?? '',
      number: ticket.number,
      subject: ticket.subject,
      link: linkUrl(`/tickets/${ticket.number}`),
      ...(typeof extra === 'function' ? extra(locale) : extra),
    },
    headers: { References: threadId(ticket._id), 'X-Ticket': ticket.number },
    replyTo: inboundAddress(tenant.code),
    newKey: opts.newTicket === true,
  });
}
