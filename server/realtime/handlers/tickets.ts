import { z } from 'zod';
import { isStaff } from '../../domain/context.js';
import { slaView } from '../../domain/sla/view.js';
import { listAttachments } from '../../domain/tickets/attachments.js';
import { getTicket, listTimeline } from '../../domain/tickets/queries.js';
import { timelineView } from '../../domain/tickets/timeline-view.js';
import { AppError } from '../../errors/app-error.js';
import { renderPartial } from '../../http/views.js';
import { formatDuration } from '../../i18n/duration.js';
import { t } from '../../i18n/i18n.js';
import { rooms, ticketOfRoom } from '../rooms.js';
import { ref, type HandlerKit } from './handle.js';

/** How many ticket pages one socket may watch at once (one tab shows one; a few spare). */
const MAX_WATCHED = 20;

const schemas = {
  watch: z.object({ ref, since: z.iso.datetime({ offset: true }).optional() }),
  unwatch: z.object({ ref }),
};

/**
 * A ticket page: watching it (its room, joined only after the domain said the caller may see
 * the ticket) with what changed since the page was printed, and leaving it.
 */
export function registerTicketHandlers({ handle, socket, user, reader, presenceLater }: HandlerKit): void {
  const { locale } = reader;

  handle('ticket:watch', schemas.watch, async (ctx, input) => {
    const ticket = await getTicket(ctx, input.ref);
    const ticketId = String(ticket._id);
    const room = isStaff(ctx.actor) ? rooms.ticketStaff(ticketId) : rooms.ticketPublic(ticketId);
    const fresh = !socket.rooms.has(room);
    if (fresh && [...socket.rooms].filter((r) => ticketOfRoom(r)).length >= MAX_WATCHED) {
      throw new AppError('rate_limited', 'watching too many tickets');
    }
    // One millisecond back: entries written in the same millisecond as the page's latest are
    // sent again rather than missed; the page skips ids it already shows.
    const since = input.since ? new Date(Date.parse(input.since) - 1) : undefined;
    const entries = await listTimeline(ctx, ticket, since);
    const files = entries.some((e) => e.attachmentIds?.length) ? await listAttachments(ctx, ticket) : [];
    const sla = await slaView(ticket);
    if (fresh) {
      await socket.join(room);
      presenceLater(ticketId);
    }
    return {
      ticketId,
      number: ticket.number,
      status: ticket.status,
      statusText: t(locale, `ticket_status.${ticket.status}`),
      statusHtml: await renderPartial('ticket-status', { ticket }, reader),
      version: ticket.version,
      sla: sla && {
        // The panel as the page prints it (views/partials/sla-panel.hbs), for the script to swap in.
        html: await renderPartial('sla-panel', { sla }, reader),
        state: sla.state,
        stateText: t(locale, `sla_states.${sla.state}`),
        targets: sla.targets.map((g) => ({
          target: g.target,
          leftText: g.remainingSeconds ? formatDuration(g.remainingSeconds, locale) : null,
          overdueText: g.overdueSeconds ? formatDuration(g.overdueSeconds, locale) : null,
        })),
      },
      // Each entry also as the page's partial prints it, so the page script only inserts it.
      entries: await Promise.all(
        timelineView(entries, files, locale, user.timeZone, ticket).map(async (entry) => ({
          ...entry,
          html: await renderPartial('timeline-entry', { ...entry }, { locale, timeZone: user.timeZone }),
        })),
      ),
    };
  });

  const leave = async (ticketId: string) => {
    const left = [rooms.ticketStaff(ticketId), rooms.ticketPublic(ticketId)].filter((r) =>
      socket.rooms.has(r),
    );
    for (const room of left) await socket.leave(room);
    delete socket.data.typing[ticketId];
    if (left.length) presenceLater(ticketId);
  };

  handle('ticket:unwatch', schemas.unwatch, async (ctx, input) => {
    const ticketId = /^[0-9a-f]{24}$/.test(input.ref)
      ? input.ref
      : String((await getTicket(ctx, input.ref))._id);
    await leave(ticketId);
    return { ok: true as const };
  });
}
