import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import { domainEvents, type TicketEvent } from '../domain/events.js';
import { ticketSummaryForEvent, toSummaries, type TicketSummary } from '../domain/queues/views.js';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from './events.js';
import { rooms } from './rooms.js';

type Io = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/**
 * Domain events -> socket pushes. Each node pushes only the events raised in its own process;
 * the adapter (Redis with several nodes) carries them to the rooms' sockets on every node.
 *
 * Who hears what:
 * - `staff:t:<tenant>`: ticket:created / changed / claimed / released, with a TicketSummary
 *   (no description, no internal data). Clients are never in these rooms.
 * - `ticket:<id>:staff`: ticket:commented (replies and internal notes) and ticket:activity.
 * - `ticket:<id>:public` (the client's own ticket page): ticket:commented for public replies
 *   only, ticket:activity; both carry nothing but id, number, status and version.
 * - `user:<id>`: disconnected when the user's sessions are revoked or they sign out.
 */
export function subscribeBroadcasts(io: Io, log: Logger): () => void {
  const run = (name: string, event: TicketEvent | { userId: string }, work: () => Promise<void>) => {
    work().catch((err: unknown) => log.error({ err, event: name, ...event }, 'real-time push failed'));
  };
  const summary = async (e: TicketEvent): Promise<TicketSummary | null> => {
    const s = await ticketSummaryForEvent(e.ticketId, e.tenantId);
    if (!s) log.warn({ ticketId: e.ticketId }, 'ticket of an event not found');
    return s;
  };
  const activity = (s: TicketSummary) => {
    const payload = { ticketId: s.id, number: s.number, status: s.status, version: s.version };
    io.to(rooms.ticketStaff(s.id)).to(rooms.ticketPublic(s.id)).emit('ticket:activity', payload);
  };

  const offs = [
    domainEvents.on('ticket.created', (e) =>
      run('ticket.created', e, async () => {
        const s = e.ticket ? ((await toSummaries([e.ticket]))[0] ?? null) : await summary(e);
        if (s) io.to(rooms.staffOfTenant(e.tenantId)).emit('ticket:created', s);
      }),
    ),
    domainEvents.on('ticket.sla', (e) =>
      run('ticket.sla', e, async () => {
        const s = await summary(e);
        if (!s) return;
        io.to(rooms.staffOfTenant(e.tenantId)).emit('ticket:changed', s);
        io.to(rooms.staffOfTenant(e.tenantId)).emit('sla:state', {
          ticketId: s.id,
          number: s.number,
          state: e.state,
          events: e.events,
          version: s.version,
        });
        activity(s);
      }),
    ),
    domainEvents.on('ticket.updated', (e) =>
      run('ticket.updated', e, async () => {
        const s = await summary(e);
        if (!s) return;
        io.to(rooms.staffOfTenant(e.tenantId)).emit('ticket:changed', s);
        activity(s);
      }),
    ),
    domainEvents.on('ticket.commented', (e) =>
      run('ticket.commented', e, async () => {
        const payload = { ticketId: e.ticketId, number: e.number, version: e.version, internal: e.internal };
        io.to(rooms.ticketStaff(e.ticketId)).emit('ticket:commented', payload);
        if (!e.internal)
          io.to(rooms.ticketPublic(e.ticketId)).emit('ticket:commented', { ...payload, internal: false });
        // A first public reply may open a new ticket: queue rows follow the version.
        const s = await summary(e);
        if (s) io.to(rooms.staffOfTenant(e.tenantId)).emit('ticket:changed', s);
      }),
    ),
    domainEvents.on('ticket.claimed', (e) =>
      run('ticket.claimed', e, async () => {
        const s = await summary(e);
        if (!s) return;
        io.to(rooms.staffOfTenant(e.tenantId)).emit('ticket:claimed', { ticket: s, assignee: e.assignee });
        activity(s);
      }),
    ),
    domainEvents.on('ticket.released', (e) =>
      run('ticket.released', e, async () => {
        const s = await summary(e);
        if (!s) return;
        io.to(rooms.staffOfTenant(e.tenantId)).emit('ticket:released', { ticket: s });
        activity(s);
      }),
    ),
    domainEvents.on('user.sessions_revoked', (e) =>
      run('user.sessions_revoked', e, async () => {
        io.in(rooms.user(e.userId)).disconnectSockets(true);
      }),
    ),
  ];
  return () => offs.forEach((off) => off());
}
