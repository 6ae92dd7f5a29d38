import type { Server } from 'socket.io';
import type {
  ClientToServerEvents,
  InterServerEvents,
  PresencePerson,
  PresenceView,
  ServerToClientEvents,
  SocketData,
} from './events.js';
import { rooms } from './rooms.js';

type Io = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** A typing flag older than this counts as stopped (the page repeats it while typing). */
export const TYPING_TTL_MS = 8000;

interface Seen {
  data: SocketData;
}

function people(sockets: Seen[], ticketId: string, now: number) {
  const viewers = new Map<string, { data: SocketData; typing: boolean }>();
  for (const s of sockets) {
    const d = s.data;
    if (!d?.userId) continue;
    const typing = (d.typing?.[ticketId] ?? 0) > now;
    const known = viewers.get(d.userId);
    viewers.set(d.userId, { data: d, typing: typing || (known?.typing ?? false) });
  }
  return [...viewers.values()];
}

/** Staff see everybody by name; clients see staff only as "an operator" (no names, no ids). */
function views(
  ticketId: string,
  list: ReturnType<typeof people>,
): { staff: PresenceView; public: PresenceView } {
  const named = (p: SocketData): PresencePerson => ({ id: p.userId, name: p.name });
  const operator: PresencePerson = { id: 'operator', name: '', operator: true };
  const forClients = (filter: (e: (typeof list)[number]) => boolean): PresencePerson[] => {
    const chosen = list.filter(filter);
    const out = chosen.filter((e) => !e.data.staff).map((e) => named(e.data));
    if (chosen.some((e) => e.data.staff)) out.push(operator);
    return out;
  };
  return {
    staff: {
      ticketId,
      viewers: list.map((e) => named(e.data)),
      typing: list.filter((e) => e.typing).map((e) => named(e.data)),
    },
    public: { ticketId, viewers: forClients(() => true), typing: forClients((e) => e.typing) },
  };
}

/**
 * Who is on a ticket's page, across every node (fetchSockets asks the others through the
 * adapter), sent to both of the ticket's rooms, except to `exceptSocketId` when given.
 */
export async function publishPresence(io: Io, ticketId: string, exceptSocketId?: string): Promise<void> {
  const staffRoom = rooms.ticketStaff(ticketId);
  const publicRoom = rooms.ticketPublic(ticketId);
  const [staffSockets, publicSockets] = await Promise.all([
    io.in(staffRoom).fetchSockets(),
    io.in(publicRoom).fetchSockets(),
  ]);
  const list = people([...staffSockets, ...publicSockets], ticketId, Date.now());
  const view = views(ticketId, list);
  const to = (room: string) => (exceptSocketId ? io.to(room).except(exceptSocketId) : io.to(room));
  if (staffSockets.length) to(staffRoom).emit('presence', view.staff);
  if (publicSockets.length) to(publicRoom).emit('presence', view.public);
}
