import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { isLocale, t, type Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { ensureMailQueued } from '../mail/ensure-queued.js';
import type { OutboxInput } from '../mail/outbox.js';
import { linkUrl } from '../settings.js';
import { threadId } from '../mail/thread-id.js';
import type { SlaEventDue } from './clock.js';
import { eachLimit } from './each-limit.js';
import { eventKey, unique, type DueTicket, type Occurrence, type Plan } from './sweep-plan.js';

/** Step 3 of a sweep: the warning and breach mails, to whoever hears of each event. */

/** Mails queued at once (each is decided by unique indexes, so their order does not matter). */
const MAIL_CONCURRENCY = 8;

type Recipient = { email: string; name: string; locale: Locale; audience: 'staff' | 'client' };

const localeOf = (value: unknown): Locale => (isLocale(value) ? value : 'en');
/**
 * Who hears of each event: the assignee always (if active staff); on a breach the team leads
 * serving the tenant, and the client if the contract says so. One read of the assignees, one of
 * the leads and one of the tenants per sweep, instead of two or three per event.
 */
async function audience(plans: Plan[]): Promise<(plan: Plan, event: SlaEventDue) => Recipient[]> {
  const withBreach = plans.filter((p) => p.happened.some((e) => e.kind === 'breach'));
  const assigneeIds = unique(
    plans
      .filter((p) => p.ticket.assignee?.email && p.ticket.assignee.id)
      .map((p) => String(p.ticket.assignee?.id)),
  );
  const leadTenants = unique(withBreach.map((p) => String(p.ticket.tenantId)));
  const clientTenants = unique(
    withBreach
      .filter((p) => p.notifyClient && p.ticket.requester?.email)
      .map((p) => String(p.ticket.tenantId)),
  );
  // By _id alone (the one filter the engine answers from an index); staff are the rows without a tenant.
  const [assignees, leads, tenants] = await Promise.all([
    assigneeIds.length
      ? User.find({ _id: { $in: assigneeIds } })
          .setOptions({ allTenants: true })
          .lean()
      : [],
    leadTenants.length
      ? User.find({
          tenantId: null,
          role: 'team_lead',
          status: 'active',
          tenantIds: { $in: leadTenants },
        }).lean()
      : [],
    clientTenants.length ? Tenant.find({ _id: { $in: clientTenants } }).lean() : [],
  ]);
  const staffById = new Map(assignees.filter((u) => u.tenantId == null).map((u) => [String(u._id), u]));
  const leadsOf = new Map(
    leadTenants.map((id) => [id, leads.filter((l) => l.tenantIds.some((t) => String(t) === id))]),
  );
  const tenantLocale = new Map(tenants.map((tn) => [String(tn._id), localeOf(tn.locale)]));
  return (plan, event) => {
    const out: Recipient[] = [];
    const { ticket } = plan;
    if (ticket.assignee?.email) {
      const user = staffById.get(String(ticket.assignee.id));
      if (user?.status === 'active')
        out.push({ email: user.email, name: user.name, locale: localeOf(user.locale), audience: 'staff' });
    }
    if (event.kind === 'breach') {
      for (const lead of leadsOf.get(String(ticket.tenantId)) ?? [])
        out.push({ email: lead.email, name: lead.name, locale: localeOf(lead.locale), audience: 'staff' });
      if (plan.notifyClient && ticket.requester?.email) {
        out.push({
          email: ticket.requester.email,
          name: ticket.requester.name ?? '',
          locale: tenantLocale.get(String(ticket.tenantId)) ?? 'en',
          audience: 'client',
        });
      }
    }
    return out;
  };
}

/**
 * Mail, one key per (event, recipient): the outbox queues each key once, ever. A key taken by a
 * worker that died before inserting its row is queued again once it is surely orphaned; until
 * then the ticket's clock stays unmarked, so a later sweep asks again. Returns the tickets with a
 * mail not (yet) queued: their clocks are left for the next sweep.
 */
export async function queueSweepMails(
  ctx: Ctx,
  plans: Plan[],
  occurred: Occurrence[],
): Promise<Set<DueTicket>> {
  const recipientsOf = await audience(plans);
  const mails: Array<{ ticket: DueTicket; mail: OutboxInput }> = occurred.flatMap(({ plan, event }) => {
    const { ticket } = plan;
    const key = eventKey(ticket, event);
    return recipientsOf(plan, event).map((r) => ({
      ticket,
      mail: {
        key: `${key}:${r.email}`,
        tenantId: String(ticket.tenantId),
        to: r.email,
        locale: r.locale,
        template: event.kind === 'breach' ? ('sla_breach' as const) : ('sla_warning' as const),
        params: {
          name: r.name,
          number: ticket.number,
          subject: ticket.subject,
          target: t(r.locale, `sla_targets.${event.target}`),
          threshold: String(event.threshold),
          link: linkUrl(`/tickets/${ticket.number}`),
        },
        headers: { References: threadId(ticket._id), 'X-Ticket': ticket.number },
      },
    }));
  });
  const unsettled = new Set<DueTicket>();
  await eachLimit(mails, MAIL_CONCURRENCY, async ({ ticket, mail }) => {
    if ((await ensureMailQueued(ctx, mail)) !== 'queued') unsettled.add(ticket);
  });
  return unsettled;
}
