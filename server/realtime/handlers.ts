import type { SessionUser } from '../http/auth/session-user.js';
import { registerClaimHandlers } from './handlers/claims.js';
import { handlerKit, type DeskSocket, type HandlerDeps } from './handlers/handle.js';
import { registerPresenceHandlers } from './handlers/presence.js';
import { registerQueueHandlers } from './handlers/queues.js';
import { registerSessionHandlers } from './handlers/session.js';
import { registerTicketHandlers } from './handlers/tickets.js';

export type { HandlerDeps } from './handlers/handle.js';

/**
 * The socket adapter, thin like the HTTP routes: validate the payload, build the ctx, call one
 * domain function, ack `{ data }` or `{ error }` (handlers/handle.ts, the one place events are
 * registered). One module per feature under handlers/. Room joins happen only after the domain
 * said the caller may see the thing.
 */
export function registerHandlers(socket: DeskSocket, user: SessionUser, deps: HandlerDeps): void {
  const kit = handlerKit(socket, user, deps);
  registerSessionHandlers(kit);
  registerQueueHandlers(kit);
  registerTicketHandlers(kit);
  registerClaimHandlers(kit);
  registerPresenceHandlers(kit);
}
