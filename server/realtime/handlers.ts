import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import { z } from 'zod';
import { isStaff, type Ctx } from '../domain/context.js';
import { releaseTicket, takeNext, takeTicket } from '../domain/queues/claims.js';
import {
  queueCounts,
  queueOverview,
  queueRows,
  queueTickets,
  toSummaries,
  type TicketSummary,
} from '../domain/queues/views.js';
import { listAttachments } from '../domain/tickets/attachments.js';
import { getTicket, listTimeline } from '../domain/tickets/queries.js';
import { timelineView } from '../domain/tickets/timeline-view.js';
import { slaView } from '../domain/sla/view.js';
import { formatDuration } from '../i18n/format.js';
import { AppError } from '../errors/app-error.js';
import type { SocketAck } from '../errors/error-table.js';
import { presentError } from '../errors/present.js';
import { t } from '../i18n/i18n.js';
import type { SessionUser } from '../http/auth/session-user.js';
import { renderPartial } from '../http/views.js';
import { socketCtx } from './context.js';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from './events.js';
import { publishPresence, TYPING_TTL_MS } from './presence.js';
import { TokenBucket, type RateLimit } from './rate-limit.js';
import { rooms, ticketOfRoom } from './rooms.js';
import { uiStrings } from './strings.js';

type Io = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type DeskSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** How many ticket pages one socket may watch at once (one tab shows one; a few spare). */
const MAX_WATCHED = 20;

const ref = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[A-Za-z0-9-]+$/);
const objectId = z.string().regex(/^[0-9a-f]{24}$/);
const schemas = {
  none: z.undefined().or(z.object({}).strict()),
  queueSync: z.object({ queueId: objectId }),
  queueRows: z.object({ queueId: objectId, ids: z.array(objectId).min(1).max(50) }),
  watch: z.object({ ref, since: z.iso.datetime({ offset: true }).optional() }),
  unwatch: z.object({ ref }),
  take: z.object({ ref }),
  next: z.object({ queueId: objectId.optional() }).default({}),
  typing: z.object({ ref: objectId, typing: z.boolean() }),
};

export interface HandlerDeps {
  io: Io;
  log: Logger;
  rateLimit: RateLimit;
}

/**
 * The socket adapter, thin like the HTTP routes: validate the payload, build the ctx, call one
 * domain function, ack `{ data }` or `{ error }`. Room joins happen only after the domain said
 * the caller may see the thing.
 */
export function registerHandlers(socket: DeskSocket, user: SessionUser, deps: HandlerDeps): void {
  const { io } = deps;
  const bucket = new TokenBucket(deps.rateLimit);
  const locale = user.locale;
  const staff = user.tenantId === null;
  let seq = 0;

  type Loose = { on(event: string, listener: (...args: unknown[]) => void): void };
  function handle<S extends z.ZodType>(
    event: string,
    schema: S,
    run: (ctx: Ctx, input: z.output<S>) => Promise<unknown>,
  ): void {
    (socket as unknown as Loose).on(event, (...args: unknown[]) => {
      const last = args[args.length - 1];
      const ack = typeof last === 'function' ? (last as (r: SocketAck<unknown>) => void) : undefined;
      const payload = ack ? args.slice(0, -1)[0] : args[0];
      const ctx = socketCtx(user, {
        requestId: `ws-${socket.id}-${++seq}`,
        log: deps.log,
        ip: socket.handshake.address ?? null,
      });
      const work = async () => {
        if (!bucket.take())
          throw new AppError('rate_limited', 'too many socket events', { retryAfterSeconds: 1 });
        const parsed = schema.safeParse(payload);
        if (!parsed.success) throw parsed.error;
        return run(ctx, parsed.data);
      };
      work().then(
        (data) => ack?.({ data }),
        (err: unknown) => {
          const { appError, status, ack: refusal } = presentError(err, locale, 'socket');
          if (status >= 500) ctx.log.error({ err: appError.cause ?? appError, event }, 'socket event failed');
          else ctx.log.debug({ code: appError.code, event }, 'socket event refused');
          ack?.(refusal);
        },
      );
    });
  }

  const presenceLater = (ticketId: string, exceptSocketId?: string) => {
    publishPresence(io, ticketId, exceptSocketId).catch((err: unknown) =>
      deps.log.warn({ err, ticketId }, 'presence failed'),
    );
  };

  handle('hello', schemas.none, async () => ({
    user: { id: user.userId, name: user.name, staff },
    locale,
    strings: uiStrings(locale),
  }));

  // Rows as views/partials/ticket-rows.hbs prints them for this reader: the page script only
  // inserts them (it fills in its own CSRF token), and places them by their data-sort-key.
  const reader = { locale, timeZone: user.timeZone };
  const rowsHtml = (tickets: TicketSummary[], order?: string) =>
    Promise.all(
      tickets.map(async (ticket) => ({
        id: ticket.id,
        version: ticket.version,
        html: await renderPartial(
          'ticket-rows',
          { rows: [ticket], noEmptyRow: true, queue: order ? { order } : null },
          reader,
        ),
      })),
    );
  const listHtml = (tickets: TicketSummary[]) => renderPartial('ticket-rows', { rows: tickets }, reader);

  handle('queue:sync', schemas.queueSync, async (ctx, input) => {
    const [{ queue, tickets }, counts] = await Promise.all([
      queueTickets(ctx, input.queueId),
      queueCounts(ctx),
    ]);
    return {
      queueId: String(queue._id),
      order: queue.order,
      filter: {
        tenantIds: queue.tenantIds.map(String),
        types: queue.types,
        priorities: queue.priorities,
        tags: queue.tags,
      },
      tickets,
      rows: await rowsHtml(tickets, queue.order),
      counts,
    };
  });

  handle('queue:rows', schemas.queueRows, async (ctx, input) => {
    const { queue, tickets } = await queueRows(ctx, input.queueId, input.ids);
    return { queueId: String(queue._id), rows: await rowsHtml(tickets, queue.order) };
  });

  handle('queues:counts', schemas.none, (ctx) => queueCounts(ctx));

  handle('queues:overview', schemas.none, async (ctx) => {
    const overview = await queueOverview(ctx);
    return {
      ...overview,
      html: { mine: await listHtml(overview.mine), soon: await listHtml(overview.soon) },
    };
  });

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
          leftText: g.remainingSeconds ? formatDuration(g.remainingSeconds) : null,
          overdueText: g.overdueSeconds ? formatDuration(g.overdueSeconds) : null,
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

  handle('ticket:take', schemas.take, async (ctx, input) => {
    const [ticket] = await toSummaries([await takeTicket(ctx, input.ref)]);
    return { ticket };
  });

  handle('ticket:next', schemas.next, async (ctx, input) => {
    const taken = await takeNext(ctx, input.queueId);
    if (!taken) return null;
    const [ticket] = await toSummaries([taken]);
    return { ticket };
  });

  handle('ticket:release', schemas.take, async (ctx, input) => {
    const [ticket] = await toSummaries([await releaseTicket(ctx, input.ref)]);
    return { ticket };
  });

  handle('typing', schemas.typing, async (_ctx, input) => {
    // Only on a page this socket was allowed to watch: the join was the access check.
    if (!socket.rooms.has(rooms.ticketStaff(input.ref)) && !socket.rooms.has(rooms.ticketPublic(input.ref))) {
      throw new AppError('not_found', 'not watching that ticket');
    }
    const was = (socket.data.typing[input.ref] ?? 0) > Date.now();
    if (input.typing) socket.data.typing[input.ref] = Date.now() + TYPING_TTL_MS;
    else delete socket.data.typing[input.ref];
    if (was !== input.typing || input.typing) presenceLater(input.ref, socket.id);
    return { ok: true as const };
  });

  socket.on('disconnecting', () => {
    const watched = [...socket.rooms].map(ticketOfRoom).filter((id): id is string => Boolean(id));
    if (!watched.length) return;
    socket.once('disconnect', () => watched.forEach((id) => presenceLater(id)));
  });
}
