import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { RequestHandler } from 'express';
import passport from 'passport';
import type { Logger } from 'pino';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import type { Config } from '../config/config.js';
import { servedTenantIds } from '../domain/tenants/tenants.js';
import { AppError } from '../errors/app-error.js';
import { presentError } from '../errors/present.js';
import { isLocale } from '../i18n/i18n.js';
import { subscribeBroadcasts } from './broadcast.js';
import { handshakeUser, socketCtx } from './context.js';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from './events.js';
import { registerHandlers } from './handlers.js';
import { defaultRateLimit, type RateLimit } from './rate-limit.js';
import { rooms } from './rooms.js';

export type RealtimeServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

export interface RealtimeDeps {
  httpServer: HttpServer;
  /** The very session middleware instance express uses, so both read the same cookie and store. */
  sessionMiddleware: RequestHandler;
  config: Config;
  log: Logger;
  /** Per-socket event budget (benchmarks raise it). */
  rateLimit?: RateLimit;
}

export interface Realtime {
  io: RealtimeServer;
  close(): Promise<void>;
}

const REDIS_CONNECT_TIMEOUT_MS = 10_000;

type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Run an express/connect middleware on the handshake request only, not on every poll. */
function onHandshake(middleware: RequestHandler): EngineMiddleware {
  const run = middleware as unknown as EngineMiddleware;
  return (req, res, next) => {
    const query = (req as IncomingMessage & { _query?: Record<string, string> })._query;
    if (query?.sid === undefined) run(req, res, next);
    else next();
  };
}

/**
 * Browsers always send Origin on WebSocket and cross-site requests: it must be the portal's
 * own (PUBLIC_URL, or the Host the request came to). A same-origin polling GET may carry none;
 * then Sec-Fetch-Site, when present, must say same-origin.
 */
export function originAllowed(req: IncomingMessage, config: Pick<Config, 'publicUrl'>): boolean {
  const origin = req.headers.origin;
  if (!origin) {
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  }
  let given: URL;
  try {
    given = new URL(origin);
  } catch {
    return false;
  }
  const allowed = new Set<string>();
  try {
    allowed.add(new URL(config.publicUrl).origin);
  } catch {
    // an unparsable PUBLIC_URL cannot match anything
  }
  const host = req.headers.host;
  if (host) {
    allowed.add(`http://${host}`.toLowerCase());
    allowed.add(`https://${host}`.toLowerCase());
  }
  return allowed.has(given.origin.toLowerCase());
}

/**
 * socket.io on the portal's HTTP server: the same session cookie as the pages (the express
 * session middleware and passport run on the handshake), foreign origins refused, rooms joined
 * by what the domain says the user may see, domain events pushed to those rooms. With
 * REDIS_URL, the Redis adapter carries pushes and fetchSockets between nodes.
 */
// Long function: a factory: the io server's middleware and listeners share its rooms and deps.
export async function attachRealtime(deps: RealtimeDeps): Promise<Realtime> {
  const log = deps.log.child({ component: 'realtime' });
  const io: RealtimeServer = new Server(deps.httpServer, {
    serveClient: true,
    allowRequest: (req, callback) => {
      const ok = originAllowed(req, deps.config);
      if (!ok) log.info({ origin: req.headers.origin ?? null }, 'socket refused: foreign origin');
      callback(null, ok);
    },
    pingInterval: 25_000,
    pingTimeout: 20_000,
    maxHttpBufferSize: 64 * 1024,
  });

  let redis: Array<{ quit(): Promise<unknown> }> = [];
  if (deps.config.redisUrl) {
    const pub = createClient({ url: deps.config.redisUrl });
    const sub = pub.duplicate();
    pub.on('error', (err: unknown) => log.error({ err }, 'redis (publish) error'));
    sub.on('error', (err: unknown) => log.error({ err }, 'redis (subscribe) error'));
    // node-redis retries a refused connection forever: give up at start-up instead of hanging.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`REDIS_URL: no connection to Redis within ${REDIS_CONNECT_TIMEOUT_MS} ms`)),
        REDIS_CONNECT_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([Promise.all([pub.connect(), sub.connect()]), deadline]);
    } catch (err) {
      pub.destroy();
      sub.destroy();
      io.engine.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    io.adapter(createAdapter(pub, sub));
    redis = [pub, sub];
    log.info('real-time: Redis adapter on');
  }

  io.engine.use(onHandshake(deps.sessionMiddleware));
  io.engine.use(onHandshake(passport.initialize()));
  io.engine.use(onHandshake(passport.session()));

  // Refused before the connection exists: no session or no (longer) valid user.
  io.use((socket, next) => {
    const user = handshakeUser(socket.request);
    if (!user) {
      const err = new Error('unauthenticated') as Error & { data?: unknown };
      err.data = presentError(
        new AppError('unauthenticated', 'no valid session'),
        deps.config.defaultLocale,
        'socket',
      ).ack.error;
      return next(err);
    }
    next();
  });

  // Rooms are joined before the client hears "connected", so nothing pushed after that is missed.
  io.use((socket, next) => {
    const user = handshakeUser(socket.request);
    if (!user) return next(new Error('unauthenticated'));
    const staff = user.tenantId === null;
    socket.data = { userId: user.userId, name: user.name, staff, typing: {} };
    const join = async () => {
      await socket.join(rooms.user(user.userId));
      if (!staff) return;
      // Re-read on every connect: the tenant scope decides (admins serve every tenant, others those on their profile).
      const ctx = socketCtx(user, {
        requestId: `ws-${socket.id}-connect`,
        log,
        ip: socket.handshake.address ?? null,
      });
      await socket.join((await servedTenantIds(ctx)).map(rooms.staffOfTenant));
    };
    join().then(
      () => next(),
      (err: unknown) => {
        log.error({ err }, 'socket set-up failed');
        const refused = new Error('unavailable') as Error & { data?: unknown };
        const locale = isLocale(user.locale) ? user.locale : 'en';
        refused.data = presentError(
          new AppError('unavailable', 'socket set-up failed', { cause: err }),
          locale,
          'socket',
        ).ack.error;
        next(refused);
      },
    );
  });

  const rateLimit = deps.rateLimit ?? defaultRateLimit;
  io.on('connection', (socket) => {
    const user = handshakeUser(socket.request);
    if (!user) {
      socket.disconnect(true);
      return;
    }
    log.debug({ userId: user.userId, socketId: socket.id }, 'socket connected');
    registerHandlers(socket, user, { io, log, rateLimit });
  });

  const unsubscribe = subscribeBroadcasts(io, log);

  let closing: Promise<void> | undefined;
  return {
    io,
    close() {
      closing ??= (async () => {
        unsubscribe();
        // This node's sockets only (with Redis, io.disconnectSockets would reach every node).
        io.local.disconnectSockets(true);
        await io.of('/').adapter.close?.();
        io.engine.close();
        await Promise.allSettled(redis.map((client) => client.quit()));
      })();
      return closing;
    },
  };
}
