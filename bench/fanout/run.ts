/**
 * Fan-out benchmark: how long a new ticket takes to reach every connected operator socket.
 *
 *   npm run bench:fanout                          # 200 and 1000 sockets, 30 tickets each
 *   BENCH_SIZES=200 BENCH_TICKETS=10 npm run bench:fanout
 *
 * In this process: the embedded engine (memory backend), the portal (PORT 0, loopback, no jobs)
 * and a bare socket.io server (no auth, no rooms: `io.emit` to everyone, triggered by an HTTP
 * POST). The sockets live in a child process (bench/fanout/clients.ts), so the memory measured
 * here is the servers'. For each size, each server gets the same number of triggers:
 * - portal: POST /api/v1/tickets with a client's API token; every operator socket (signed in with
 *   a real session cookie, joined to the tenant's staff room) waits for `ticket:created`;
 * - baseline: POST /emit to the bare server, which emits a ticket summary of the same size.
 * Latency = receipt at each socket - the moment the HTTP trigger was sent (one clock: epoch ms of
 * performance.timeOrigin + performance.now() in both processes). Target: portal p99 <= 2 x bare p99.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { Tenant } from '../../models/tenant.js';
import { Ticket } from '../../models/ticket.js';
import { User } from '../../models/user.js';
import { startPortal } from '../../server/boot.js';
import { loadConfig } from '../../server/config/config.js';
import { startEmbeddedEngine } from '../../server/db/embedded-engine.js';
import { hashPassword } from '../../server/domain/auth/passwords.js';
import { domainEvents } from '../../server/domain/events.js';
import { ticketSummaryForEvent } from '../../server/domain/queues/views.js';
import { createApiToken } from '../../server/domain/tenants/api-tokens.js';
import { fromRoot } from '../../server/paths.js';

const SIZES = (process.env.BENCH_SIZES ?? '200,1000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const TICKETS = Number(process.env.BENCH_TICKETS ?? 30);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 20);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 10 * 60_000);
const PASSWORD = 'bench-fanout-password';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const watchdog = setTimeout(() => {
  process.stderr.write(`bench: no result after ${TIMEOUT_MS} ms, giving up\n`);
  process.exit(2);
}, TIMEOUT_MS);
watchdog.unref();

const now = (): number => performance.timeOrigin + performance.now();
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Sign in through the login form, as a browser does; returns the session cookie pair. */
async function signIn(url: string, email: string): Promise<string> {
  const cookieOf = (res: Response): string | undefined =>
    res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0] ?? '')
      .find((c) => c.startsWith('desk.sid='));
  const page = await fetch(`${url}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  const first = cookieOf(page);
  if (!csrf || !first) throw new Error('no CSRF token or cookie on the login page');
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: first, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password: PASSWORD }).toString(),
  });
  const cookie = cookieOf(res);
  if (res.status !== 302 || !cookie) throw new Error(`sign-in of ${email} failed (${res.status})`);
  return cookie;
}

interface Clients {
  child: ChildProcess;
  connected: number;
  failed: number;
  ms: number;
  next(type: string): Promise<Record<string, unknown>>;
}

/** The client process with `n` sockets connected to `url`. */
async function startClients(url: string, cookies: string[], n: number): Promise<Clients> {
  const child = fork(fromRoot('bench', 'fanout', 'clients.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_CLIENTS: JSON.stringify({ url, cookies, n, event: 'ticket:created' }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: Array<{ type: string; resolve: (m: Record<string, unknown>) => void }> = [];
  child.on('message', (m: Record<string, unknown>) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0]?.resolve(m);
  });
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve) => waiting.push({ type, resolve }));
  const ready = await next('ready');
  return {
    child,
    connected: Number(ready.connected),
    failed: Number(ready.failed),
    ms: Number(ready.ms),
    next,
  };
}

async function stopClients(c: Clients): Promise<void> {
  const exited = new Promise((r) => c.child.once('exit', r));
  c.child.send({ type: 'close' });
  await exited;
}

interface Measured {
  /** From the HTTP trigger sent to each socket's receipt. */
  latencies: number[];
  /** From the server-side moment (domain event raised / bare emit called) to each receipt. */
  fromServer: number[];
  missing: number;
  triggerMs: number[];
}

/** `count` triggers, one at a time: arm the clients, trigger, wait until every socket has it. */
async function measure(
  c: Clients,
  count: number,
  trigger: (key: string) => Promise<void>,
  serverAt: () => number,
): Promise<Measured> {
  const latencies: number[] = [];
  const fromServer: number[] = [];
  const triggerMs: number[] = [];
  let missing = 0;
  for (let i = 0; i < count; i++) {
    const key = `fanout ${randomBytes(6).toString('hex')}`;
    c.child.send({ type: 'expect', key, timeoutMs: 20_000 });
    await c.next('armed');
    const received = c.next('received');
    const t0 = now();
    await trigger(key);
    triggerMs.push(now() - t0);
    const { at } = (await received) as { at: number[] };
    const s0 = serverAt();
    for (const a of at) {
      latencies.push(a - t0);
      fromServer.push(a - s0);
    }
    missing += c.connected - at.length;
  }
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  return {
    latencies: sorted(latencies),
    fromServer: sorted(fromServer),
    missing,
    triggerMs: sorted(triggerMs),
  };
}

/** A plain socket.io server: no session, no rooms, `io.emit` to all on POST /emit. */
async function startBare(): Promise<{ url: string; emittedAt(): number; close(): Promise<void> }> {
  let emittedAt = 0;
  const http: HttpServer = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/emit') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      emittedAt = now();
      io.emit('ticket:created', payload);
      res.writeHead(204).end();
    });
  });
  const io = new Server(http, { serveClient: false });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    emittedAt: () => emittedAt,
    close: async () => {
      io.local.disconnectSockets(true);
      io.engine.close();
      await new Promise((r) => http.close(r));
    },
  };
}

async function main(): Promise<number> {
  const quiet = pino({ level: 'error' });
  out(
    `bench:fanout  sizes=${SIZES.join(',')} tickets=${TICKETS} (+${WARMUP} warm-up) operators=${OPERATORS}  node ${process.version}${(globalThis as { gc?: unknown }).gc ? '' : '  (run with --expose-gc for steadier memory figures)'}`,
  );
  const engine = await startEmbeddedEngine({ backend: 'memory', log: quiet, dbName: 'bench_fanout' });
  const config = loadConfig({
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL: 'http://127.0.0.1:1',
    MONGODB_URI: engine.uri,
    JOBS_ENABLED: 'false',
    SEED_DEMO: 'false',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    API_RATE_LIMIT: '100000',
  });
  const portal = await startPortal(config, pino({ level: config.logLevel }));
  const bare = await startBare();
  let failed = false;
  try {
    const portalUrl = portal.url.replace('localhost', '127.0.0.1');
    const tenant = await Tenant.create({
      code: 'acme',
      legalName: 'Acme Logistica S.p.A.',
      timeZone: 'Europe/Rome',
      locale: 'it',
    });
    const tenantId = String(tenant._id);
    const passwordHash = await hashPassword(PASSWORD);
    const admin = await User.create({
      email: 'admin@acme.example',
      name: 'Chiara Bianchi',
      role: 'client_admin',
      tenantId: tenant._id,
      status: 'active',
      passwordHash,
    });
    const { token } = await createApiToken(
      {
        tenantId,
        actor: {
          kind: 'user',
          userId: String(admin._id),
          email: admin.email,
          name: admin.name,
          role: 'client_admin',
          tenantId,
          tenantIds: [tenantId],
          locale: 'it',
        },
        requestId: 'bench',
        log: quiet,
      },
      { name: 'bench' },
    );
    const cookies: string[] = [];
    for (let i = 0; i < OPERATORS; i++) {
      const op = await User.create({
        email: `op${i}@desk.example`,
        name: `Operator ${i}`,
        role: 'operator',
        tenantIds: [tenant._id],
        status: 'active',
        passwordHash,
      });
      cookies.push(await signIn(portalUrl, op.email));
    }

    let sample = '';
    // The moment the portal raised ticket.created (one ticket at a time, so the latest is it).
    let eventAt = 0;
    domainEvents.on('ticket.created', () => {
      eventAt = now();
    });
    const createTicket = async (key: string): Promise<void> => {
      const res = await fetch(`${portalUrl}/api/v1/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'complaint',
          subject: key,
          description: 'Created by bench/fanout.',
          priority: 'normal',
          fields: {
            customerName: 'Mario Rossi',
            customerReference: 'ORD-1',
            channel: 'phone',
            category: 'Delivery',
            severity: 'medium',
          },
        }),
      });
      if (res.status !== 201) throw new Error(`API answered ${res.status}: ${await res.text()}`);
    };
    const bareEmit = async (key: string): Promise<void> => {
      const res = await fetch(`${bare.url}/emit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: sample.replace('__KEY__', key),
      });
      if (res.status !== 204) throw new Error(`bare server answered ${res.status}`);
    };

    const fmt = (xs: number[]): string =>
      `p50 ${percentile(xs, 50).toFixed(1)} ms  p99 ${percentile(xs, 99).toFixed(1)} ms  max ${percentile(xs, 100).toFixed(1)} ms`;
    for (const n of SIZES) {
      out();
      out(`== ${n} sockets ==`);
      const phase = async (
        name: string,
        url: string,
        socketCookies: string[],
        trigger: (key: string) => Promise<void>,
        serverAt: () => number,
      ) => {
        gc();
        await sleep(300);
        const before = process.memoryUsage();
        const clients = await startClients(url, socketCookies, n);
        await sleep(1000);
        gc();
        await sleep(300);
        const after = process.memoryUsage();
        if (clients.failed || clients.connected !== n) failed = true;
        await measure(clients, WARMUP, trigger, serverAt);
        const m = await measure(clients, TICKETS, trigger, serverAt);
        if (m.missing) failed = true;
        await stopClients(clients);
        const perSocket = (a: number, b: number) => `${((b - a) / 1024 / n).toFixed(1)} KiB`;
        out(
          `${name.padEnd(7)} connected ${clients.connected}/${n} in ${(clients.ms / 1000).toFixed(1)} s, missed ${m.missing}; ` +
            `server memory per socket: RSS ${perSocket(before.rss, after.rss)}, heap ${perSocket(before.heapUsed, after.heapUsed)}`,
        );
        out(
          `        trigger sent -> receipt:  ${fmt(m.latencies)}   (HTTP trigger answered p50 ${percentile(m.triggerMs, 50).toFixed(1)} ms)`,
        );
        out(
          `        ${name === 'portal' ? 'domain event' : 'io.emit call'} -> receipt: ${fmt(m.fromServer)}`,
        );
        return m;
      };
      const viaPortal = await phase('portal', portalUrl, cookies, createTicket, () => eventAt);
      if (!sample) {
        // A real summary as the baseline's payload, so both send the same bytes.
        const any = await Ticket.findOne({ tenantId: tenant._id }).lean();
        const summary = any ? await ticketSummaryForEvent(String(any._id), tenantId) : null;
        sample = JSON.stringify({ ...summary, subject: '__KEY__' });
      }
      const viaBare = await phase('bare', bare.url, [], bareEmit, bare.emittedAt);
      const ratio = percentile(viaPortal.latencies, 99) / percentile(viaBare.latencies, 99);
      const fanRatio = percentile(viaPortal.fromServer, 99) / percentile(viaBare.fromServer, 99);
      out(
        `p99 portal / bare, end to end (API ticket creation included): ${ratio.toFixed(2)}  (target <= 2.00: ${ratio <= 2 ? 'met' : 'NOT met'})`,
      );
      out(
        `p99 portal / bare, fan-out only (domain event vs io.emit call):   ${fanRatio.toFixed(2)}  (target <= 2.00: ${fanRatio <= 2 ? 'met' : 'NOT met'})`,
      );
    }
  } finally {
    await bare.close();
    await portal.stop();
    await engine.stop();
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `bench:fanout failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
