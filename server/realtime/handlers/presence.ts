import { z } from 'zod';
import { AppError } from '../../errors/app-error.js';
import { TYPING_TTL_MS } from '../presence.js';
import { rooms, ticketOfRoom } from '../rooms.js';
import { objectId, type HandlerKit } from './handle.js';

const schemas = {
  typing: z.object({ ref: objectId, typing: z.boolean() }),
};

/** Who is on a ticket page and typing: the typing flag, and leaving every watched page on disconnect. */
export function registerPresenceHandlers({ handle, socket, presenceLater }: HandlerKit): void {
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
