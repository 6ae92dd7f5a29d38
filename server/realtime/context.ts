import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { makeCtx, type Actor, type Ctx } from '../domain/context.js';
import { actorOf } from '../domain/auth/profile.js';
import type { SessionUser } from '../http/auth/session-user.js';

/** The handshake request after the session middleware and passport ran on it (server.ts). */
export type HandshakeRequest = IncomingMessage & { user?: SessionUser; sessionID?: string };

export function handshakeUser(req: IncomingMessage): SessionUser | undefined {
  return (req as HandshakeRequest).user;
}

/**
 * Build the domain context for one socket event: the socket twin of `requestCtx`
 * (http/middleware/context.ts). The profile is the one passport rebuilt at the handshake.
 */
export function socketCtx(
  user: SessionUser,
  meta: { requestId: string; log: Logger; ip: string | null },
): Ctx {
  const actor: Actor = actorOf(user);
  return makeCtx({
    tenantId: user.tenantId,
    actor,
    requestId: meta.requestId,
    log: meta.log,
    logFields: { requestId: meta.requestId, tenantId: user.tenantId, userId: user.userId },
    ip: meta.ip,
  });
}
