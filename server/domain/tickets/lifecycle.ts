import type { TicketStatus } from '../../../models/ticket.js';
import { Ticket } from '../../../models/ticket.js';
import { AppError } from '../../errors/app-error.js';
import { recordTicketAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { offerSurvey } from '../csat/offer-survey.js';
import { notifyRequester } from './notify.js';
import { getTicket } from './queries.js';
import { movesFor, stampFor } from './transitions.js';
import { carrying, pendingEntry, writePendingEntries } from './pending-entries.js';
import { noteSlaDue } from '../sla/due-list.js';
import { slaAfter, type SlaChange } from '../sla/ticket-clock.js';

/** How a status change moves the SLA clock (see server/domain/sla/clock.ts). */
function slaChangeFor(from: TicketStatus, to: TicketStatus, at: Date): SlaChange | null {
  // A ticket closed before anyone resolved it (a client settling it) ends its clocks too.
  if (to === 'resolved' || (to === 'closed' && from !== 'resolved')) return { kind: 'resolved', at };
  if (to === 'pending') return { kind: 'pause', at };
  if (to === 'open' && (from === 'pending' || from === 'resolved')) return { kind: 'resume', at };
  // new -> open, resolved -> closed: the clocks are unaffected.
  return null;
}

/**
 * Move a ticket to another status. The update is conditional on the status the caller saw, so
 * two people changing it at once cannot both win; the loser gets a conflict.
 */
export async function changeStatus(ctx: Ctx, ref: string, to: TicketStatus) {
  return moveTicket(ctx, await getTicket(ctx, ref), to);
}

type LoadedTicket = Awaited<ReturnType<typeof getTicket>>;

/**
 * `changeStatus` on a ticket already read. With `version`, the update also requires the ticket
 * to be at that version: a change made by anyone after the caller's last write is not overwritten.
 */
export async function moveTicket(
  ctx: Ctx,
  ticket: LoadedTicket,
  to: TicketStatus,
  options: {
    version?: number;
    /** false: the caller records the move in an entry of its own (a macro's reply, macros/). */
    timeline?: boolean;
    allowed?: boolean;
  } = {},
) {
  const from = ticket.status as TicketStatus;
  if (from === to) return ticket;
  // `allowed`: an operation that checked its own permission (closing as a duplicate, a merge).
  if (!options.allowed && !movesFor(ctx.actor, ticket).includes(to)) {
    throw new AppError('conflict', `cannot move from ${from} to ${to}`, {
      messageKey: 'tickets.bad_transition',
      params: { from, to },
    });
  }
  const now = new Date();
  const stamp = stampFor(from, to);
  // Closed straight from work: it was resolved at that moment too (reports count it solved).
  const alsoResolved = to === 'closed' && from !== 'resolved' ? { resolvedAt: now } : {};
  const byRequester = ctx.actor.kind === 'user' && String(ticket.requester?.id ?? '') === ctx.actor.userId;
  const change = slaChangeFor(from, to, now);
  const clock = change ? await slaAfter(ticket, change) : null;
  // The status entry rides on the update (a crash before it is written loses no event).
  // A macro's reply records the move in its own entry (options.timeline false): none here then.
  const entries =
    options.timeline === false
      ? []
      : [pendingEntry(ctx, { kind: 'status', visibility: 'public', data: { from, to }, at: now })];
  const updated = await Ticket.findOneAndUpdate(
    {
      _id: ticket._id,
      tenantId: ticket.tenantId,
      status: from,
      ...(options.version === undefined ? {} : { version: options.version }),
    },
    {
      $set: {
        status: to,
        lastActivityAt: now,
        ...alsoResolved,
        ...(stamp ? { [stamp]: now } : {}),
        ...(clock ?? {}),
      },
      $inc: { version: 1 },
      ...(entries.length ? carrying(entries) : {}),
    },
    { returnDocument: 'after' },
  ).lean();
  if (!updated)
    throw new AppError('conflict', 'ticket changed meanwhile', { messageKey: 'tickets.changed_meanwhile' });
  if (clock) await noteSlaDue(updated, ticket);
  await writePendingEntries(ctx, updated, entries);
  await recordTicketAudit(ctx, updated, 'ticket.status_changed', { from, to });
  if (to === 'pending') await notifyRequester(ctx, updated, 'ticket_pending', `pending:${updated.version}`);
  // The requester who solved it themselves needs no mail telling them so.
  if (to === 'resolved' && !byRequester) {
    // The satisfaction survey of this resolution rides on the mail (unless the contract turns it off).
    const survey = await offerSurvey(ctx, updated, now);
    await notifyRequester(ctx, updated, 'ticket_resolved', `resolved:${updated.version}`, (locale) =>
      survey ? survey(locale) : { survey: '' },
    );
  }
  domainEvents.emit('ticket.updated', {
    tenantId: String(updated.tenantId),
    ticketId: String(updated._id),
    number: updated.number,
    version: updated.version,
    changes: ['status'],
  });
  return updated;
}
