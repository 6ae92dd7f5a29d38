import type { Types } from 'mongoose';
import { priorities, priorityRank, Ticket, type Priority } from '../../../models/ticket.js';
import { SlaEvent } from '../../../models/sla-event.js';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { isLocale, t, type Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { enqueueMail } from '../mail/outbox.js';
import { linkUrl } from '../settings.js';
import { appendTimeline } from '../tickets/timeline.js';
import { threadId } from '../tickets/notify.js';
import { dueEvents, nextDeadline, recorded, stateOf, type SlaClock, type SlaEventDue } from './clock.js';
import { calendarOf, policyVersion } from './contracts.js';
import { NO_DEADLINE } from './ticket-clock.js';

export const SWEEP_BATCH = 500;

type DueTicket = {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  number: string;
  subject: string;
  priority: string;
  version: number;
  assignee?: { id?: Types.ObjectId | null; name?: string | null; email?: string | null } | null;
  requester?: { id?: Types.ObjectId | null; name?: string | null; email?: string | null } | null;
  sla: SlaClock;
};

const isDuplicate = (err: unknown): boolean => (err as { code?: number }).code === 11000;

/** Who hears of an event: the assignee always; on a breach the team leads of the tenant, and the client if the contract says so. */
async function recipients(ticket: DueTicket, event: SlaEventDue, notifyClient: boolean) {
  const out: Array<{ email: string; name: string; locale: Locale; audience: 'staff' | 'client' }> = [];
  if (ticket.assignee?.email) {
    const user = await User.findOne({ _id: ticket.assignee.id, tenantId: null }).lean();
    if (user?.status === 'active') out.push({ email: user.email, name: user.name, locale: isLocale(user.locale) ? user.locale : 'en', audience: 'staff' });
  }
  if (event.kind === 'breach') {
    const leads = await User.find({ tenantId: null, role: 'team_lead', status: 'active', tenantIds: ticket.tenantId }).lean();
    for (const lead of leads) out.push({ email: lead.email, name: lead.name, locale: isLocale(lead.locale) ? lead.locale : 'en', audience: 'staff' });
    if (notifyClient && ticket.requester?.email) {
      const tenant = await Tenant.findById(ticket.tenantId).lean();
      out.push({ email: ticket.requester.email, name: ticket.requester.name ?? '', locale: tenant && isLocale(tenant.locale) ? tenant.locale : 'en', audience: 'client' });
    }
  }
  return out;
}

/**
 * Record one event and everything that follows from it. Every step is idempotent on its own
 * unique key (the event, its timeline entry, each mail, the priority raise), so a sweep killed
 * half-way and run again, or two sweeps at once, leave each effect exactly once.
 */
async function recordEvent(ctx: Ctx, ticket: DueTicket, event: SlaEventDue, escalation: { raisePriority: boolean; notifyClient: boolean }) {
  const key = `sla:${String(ticket._id)}:${event.target}:${event.kind}:${event.threshold}`;
  let fresh = true;
  try {
    await SlaEvent.create({
      tenantId: ticket.tenantId,
      ticketId: ticket._id,
      number: ticket.number,
      target: event.target,
      kind: event.kind,
      threshold: event.threshold,
      dueAt: event.at,
      recordedAt: new Date(),
      recordedBy: ctx.requestId,
    });
  } catch (err) {
    if (!isDuplicate(err)) throw err;
    fresh = false;
  }
  await appendTimeline(ctx, ticket, {
    key,
    kind: 'sla',
    visibility: 'internal',
    data: { target: event.target, kind: event.kind, threshold: event.threshold, dueAt: event.at },
    at: event.at,
  }).catch((err: unknown) => {
    if (!isDuplicate(err)) throw err;
  });
  for (const r of await recipients(ticket, event, escalation.notifyClient)) {
    await enqueueMail(ctx, {
      key: `${key}:${r.email}`,
      tenantId: String(ticket.tenantId),
      to: r.email,
      locale: r.locale,
      template: event.kind === 'breach' ? 'sla_breach' : 'sla_warning',
      params: {
        name: r.name,
        number: ticket.number,
        subject: ticket.subject,
        target: t(r.locale, `sla_targets.${event.target}`),
        threshold: String(event.threshold),
        link: linkUrl(`/tickets/${ticket.number}`),
      },
      headers: { References: threadId(ticket._id), 'X-Ticket': ticket.number },
    });
  }
  if (event.kind === 'breach' && escalation.raisePriority) {
    // One step up, once: conditional on the priority the breach found.
    const i = priorities.indexOf(ticket.priority as Priority);
    const raised = priorities[Math.min(i + 1, priorities.length - 1)] as Priority;
    if (raised !== ticket.priority) {
      await Ticket.updateOne({ _id: ticket._id, tenantId: ticket.tenantId, priority: ticket.priority as Priority }, { $set: { priority: raised, priorityRank: priorityRank[raised] } });
    }
  }
  return fresh;
}

/**
 * Find tickets whose next SLA event is due and act on it. Few recurring sweeps instead of one
 * agenda job per deadline: on the embedded engine agenda slows down with every job stored.
 */
export async function sweepSla(ctx: Ctx, now = new Date(), limit = SWEEP_BATCH): Promise<{ tickets: number; events: number }> {
  const due = (await Ticket.find({ 'sla.nextEventAt': { $lte: now } })
    .setOptions({ allTenants: true })
    .sort({ 'sla.nextEventAt': 1 })
    .limit(limit)
    .select({ number: 1, tenantId: 1, subject: 1, priority: 1, version: 1, assignee: 1, requester: 1, sla: 1 })
    .lean()) as unknown as DueTicket[];
  let events = 0;
  for (const ticket of due) {
    const tenantId = String(ticket.tenantId);
    const [calendar, policy] = await Promise.all([calendarOf(tenantId), policyVersion(tenantId, ticket.sla.policyVersion)]);
    if (!calendar) continue;
    const escalation = { raisePriority: policy?.escalation?.raisePriority === true, notifyClient: policy?.escalation?.notifyClient === true };
    const happened = dueEvents(calendar, ticket.sla, now);
    for (const event of happened) if (await recordEvent(ctx, ticket, event, escalation)) events++;
    const sla = recorded(calendar, ticket.sla, happened);
    const updated = await Ticket.findOneAndUpdate(
      { _id: ticket._id, tenantId: ticket.tenantId, version: ticket.version },
      { $set: { sla, dueSortAt: nextDeadline(sla) ?? NO_DEADLINE }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    ).lean();
    // A ticket changed meanwhile has recomputed its clock; the next sweep records what is left.
    if (updated && happened.length) {
      domainEvents.emit('ticket.sla', {
        tenantId,
        ticketId: String(ticket._id),
        number: ticket.number,
        version: updated.version,
        state: stateOf(sla) ?? 'ok',
        events: happened.map((e) => ({ target: e.target, kind: e.kind, threshold: e.threshold })),
      });
    }
  }
  return { tickets: due.length, events };
}
