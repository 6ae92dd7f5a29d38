import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import { z } from 'zod';
import type { Ctx } from '../../domain/context.js';
import { AppError } from '../../errors/app-error.js';
import type { SocketAck } from '../../errors/error-table.js';
import { presentError } from '../../errors/present.js';
import type { SessionUser } from '../../http/auth/session-user.js';
import { socketCtx } from '../context.js';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../events.js';
import { publishPresence } from '../presence.js';
import { TokenBucket, type RateLimit } from '../rate-limit.js';

export type Io = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type DeskSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface HandlerDeps {
  io: Io;
  log: Logger;
  rateLimit: RateLimit;
}

/** Payload parts the features share. */
export const ref = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[A-Za-z0-9-]+$/);
export const objectId = z.string().regex(/^[0-9a-f]{24}$/);
export const noInput = z.undefined().or(z.object({}).strict());

/** Register one event: validate the payload with `schema`, build the ctx, run, ack `{ data }` or `{ error }`. */
export type Handle = <S extends z.ZodType>(
  event: string,
  schema: S,
  run: (ctx: Ctx, input: z.output<S>) => Promise<unknown>,
) => void;

/** What every feature's registration gets: the socket, its user, `handle`, and presence updates. */
export interface HandlerKit {
  socket: DeskSocket;
  user: SessionUser;
  deps: HandlerDeps;
  handle: Handle;
  /** The reader partials are rendered for. */
  reader: { locale: SessionUser['locale']; timeZone: string };
  /** Publish a ticket's presence in the background (failures logged). */
  presenceLater(ticketId: string, exceptSocketId?: string): void;
}

/**
 * The one place socket events are registered: each event shares the socket's rate limit, gets
 * its own ctx (request id `ws-<socket>-<seq>`), and its errors are presented like every
 * adapter's (errors/present.ts).
 */
export function handlerKit(socket: DeskSocket, user: SessionUser, deps: HandlerDeps): HandlerKit {
  const bucket = new TokenBucket(deps.rateLimit);
  const locale = user.locale;
  let seq = 0;

  type Loose = { on(event: string, listener: (...args: unknown[]) => void): void };
  const handle: Handle = (event, schema, run) => {
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
  };

  const presenceLater = (ticketId: string, exceptSocketId?: string) => {
    publishPresence(deps.io, ticketId, exceptSocketId).catch((err: unknown) =>
      deps.log.warn({ err, ticketId }, 'presence failed'),
    );
  };

  return { socket, user, deps, handle, reader: { locale, timeZone: user.timeZone }, presenceLater };
}
