/**
 * Fan-out benchmark: how long a new ticket takes to reach every connected operator socket.
 *
 *   npm run bench:fanout                          # 200 and 1000 sockets, 40 tickets each
 *   BENCH_SIZES=200 BENCH_TICKETS=10 npm run bench:fanout
 *   BENCH_CLIENT_PROCS=1 ...                      # client processes per server (default 2)
 *   BENCH_REDIS=1 ...                             # the portal with the Redis adapter (redis-server)
 *
 * In this process: the embedded engine (BENCH_BACKEND: memory, h2 or both, see
 * bench/support/backend.ts), the portal (PORT 0, loopback, no jobs) and the baseline, a bare socket.io server (bare.ts: no auth, no rooms, `io.emit` to everyone
 * of a POSTed payload the size of a real ticket summary). The sockets of each server live in
 * client processes of the same kind (clients.ts), so the memory measured here is the servers'.
 * For each size both sets of sockets are connected at once and the rounds alternate portal and
 * bare, so a change in the machine's load hits both alike:
 * - portal: POST /api/v1/tickets with a client's API token; every operator socket (signed in with
 *   a real session cookie, joined to the tenant's staff room) waits for `ticket:created`;
 * - bare: POST /emit; every socket waits for `ticket:created`.
 * Latencies are per socket (receipt - start), pooled over the rounds, from several starts:
 * - request sent: the HTTP trigger leaves the bench (both servers) — the issue's "created through
 *   the API", API ticket creation included;
 * - ticket stored: the engine acknowledged the ticket's insert (portal; command monitoring), vs
 *   the bare handler holding the payload;
 * - emit call: the adapter's broadcast of the event began (both; probes.ts).
 * One clock: epoch ms of performance.timeOrigin + performance.now() in every process.
 *
 * The target (portal p99 <= 2 x bare p99) is judged from the ticket stored: the issue times "a
 * ticket created through the API", and the baseline has no ticket to create, so the comparable
 * span is from the moment the ticket exists to its receipt. From the request sent, the portal
 * also pays the API's create path (bench:intake measures that, issue 4), printed alongside.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { Tenant } from '../../models/tenant.js';
import { Ticket } from '../../models/ticket.js';
import { User } from '../../models/user.js';
import { startPortal } from '../../server/boot.js';
import { loadConfig } from '../../server/config/config.js';
import { runOnBackends, startBenchEngine } from '../support/backend.js';
import { hashPassword } from '../../server/domain/auth/passwords.js';
import { domainEvents } from '../../server/domain/events.js';
import { ticketSummaryForEvent } from '../../server/domain/queues/views.js';
import { makeCtx } from '../../server/domain/context.js';
import { createApiToken } from '../../server/domain/tenants/api-tokens.js';
import { gcExposed, gcIfExposed, out, sleep, spread, startWatchdog } from '../support/harness.js';
import { signIn } from '../support/sign-in.js';
import { startBare } from './bare.js';
import { startClientGroup, type ClientGroup } from './client-group.js';
import { now, probeEmits } from './probes.js';
import { startRedis } from './redis.js';
import { fmt } from './stats.js';

const SIZES = (process.env.BENCH_SIZES ?? '200,1000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const TICKETS = Number(process.env.BENCH_TICKETS ?? 40);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 20);
const CLIENT_PROCS = Number(process.env.BENCH_CLIENT_PROCS ?? 2);
// Tickets arrive seconds apart, not back to back: let the previous one's follow-up work (its
// confirmation mail) finish, as it would, before the next round starts.
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 50);
const REDIS = process.env.BENCH_REDIS === '1';
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 10 * 60_000);
const PASSWORD = 'bench-fanout-password';

startWatchdog(TIMEOUT_MS);

// Other work on the machine moves p99 more than anything measured here: print it with the result.
const load = (): string =>
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`;

/** One trigger and its times; `at` = every socket's receipt. */
interface Round {
  sent: number;
  /** Portal: insert acknowledged; bare: handler has the payload. */
  stored: number;
  /** Portal only: ticket.created raised. */
  event: number;
  emitStart: number;
  emitEnd: number;
  answered: number;
  at: number[];
}

interface Side {
  name: string;
  group: ClientGroup;
  trigger(key: string): Promise<void>;
  /** The server-side times of one key, once its round is over. */
  times(key: string): Pick<Round, 'stored' | 'event' | 'emitStart' | 'emitEnd'>;
  rounds: Round[];
}

async function round(side: Side, keep: boolean): Promise<number> {
  const key = `fanout ${randomBytes(6).toString('hex')}`;
  await side.group.arm(key, 20_000);
  const sent = now();
  await side.trigger(key);
  const answered = now();
  const at = await side.group.received();
  if (keep) side.rounds.push({ sent, answered, at, ...side.times(key) });
  return side.group.connected - at.length;
}

/** Heap and RSS growth of this (the servers') process while `n` sockets connect, per socket. */
async function connectMeasured(connect: () => Promise<ClientGroup>, n: number) {
  gcIfExposed();
  await sleep(300);
  const before = process.memoryUsage();
  const group = await connect();
  await sleep(1000);
  gcIfExposed();
  await sleep(300);
  const after = process.memoryUsage();
  const kib = (a: number, b: number) => (b - a) / 1024 / n;
  return { group, heap: kib(before.heapUsed, after.heapUsed), rss: kib(before.rss, after.rss) };
}

function report(side: Side, n: number): void {
  const from = (start: (r: Round) => number) =>
    spread(side.rounds.flatMap((r) => r.at.map((a) => a - start(r))));
  const stage = (d: (r: Round) => number) => {
    const s = spread(side.rounds.map(d));
    return `${s.p50.toFixed(1)}/${s.max.toFixed(1)}`;
  };
  const portal = side.name === 'portal';
  out(`  ${side.name}: per-socket latency, ms         p50     p99     max`);
  out(`    request sent  -> receipt          ${fmt(from((r) => r.sent))}`);
  out(`    ${portal ? 'ticket stored' : 'payload in   '} -> receipt          ${fmt(from((r) => r.stored))}`);
  if (portal) out(`    domain event  -> receipt          ${fmt(from((r) => r.event))}`);
  out(`    emit call     -> receipt          ${fmt(from((r) => r.emitStart))}`);
  out(
    `    all ${n} sockets reached (per ticket, from request sent) ${fmt(spread(side.rounds.map((r) => Math.max(...r.at) - r.sent)))}`,
  );
  out(
    `    stages per ticket, p50/max ms: request -> ${portal ? 'stored' : 'payload'} ${stage((r) => r.stored - r.sent)}` +
      (portal
        ? `, stored -> event ${stage((r) => r.event - r.stored)}, event -> emit ${stage((r) => r.emitStart - r.event)}`
        : `, payload -> emit ${stage((r) => r.emitStart - r.stored)}`) +
      `, emit call ${stage((r) => r.emitEnd - r.emitStart)}, emit returned -> last receipt ${stage((r) => Math.max(...r.at) - r.emitEnd)}, HTTP answered ${stage((r) => r.answered - r.sent)}`,
  );
}

async function main(): Promise<number> {
  const quiet = pino({ level: 'error' });
  out(
    `bench:fanout  sizes=${SIZES.join(',')} tickets=${TICKETS} (+${WARMUP} warm-up) operators=${OPERATORS} client processes=${CLIENT_PROCS} per server${REDIS ? '  portal with the Redis adapter' : ''}  node ${process.version}  ${load()}${gcExposed() ? '' : '  (run with --expose-gc for steadier memory figures)'}`,
  );
  const redis = REDIS ? await startRedis() : null;
  const engine = await startBenchEngine('bench_fanout', quiet);
  const config = loadConfig({
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL: 'http://127.0.0.1:1',
    // Command monitoring: the moment the engine acknowledges each ticket's insert.
    MONGODB_URI: `${engine.uri}${engine.uri.includes('?') ? '&' : '?'}monitorCommands=true`,
    JOBS_ENABLED: 'false',
    SEED_DEMO: 'false',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    API_RATE_LIMIT: '100000',
    ...(redis ? { REDIS_URL: redis.url } : {}),
  });
  const portal = await startPortal(config, pino({ level: config.logLevel }));
  const bare = await startBare();
  let failed = false;
  try {
    const portalUrl = portal.url.replace('localhost', '127.0.0.1');

    const inserts = new Map<number, string>();
    const stored = new Map<string, number>();
    const client = mongoose.connection.getClient();
    client.on('commandStarted', (e) => {
      const doc = (e.command.documents as Array<{ subject?: unknown }> | undefined)?.[0];
      if (e.commandName === 'insert' && e.command.insert === 'tickets' && typeof doc?.subject === 'string')
        inserts.set(e.requestId, doc.subject);
    });
    client.on('commandSucceeded', (e) => {
      const subject = inserts.get(e.requestId);
      if (subject === undefined) return;
      inserts.delete(e.requestId);
      stored.set(subject, now());
    });
    const raised = new Map<string, number>();
    domainEvents.on('ticket.created', (e) => {
      if (e.ticket) raised.set(e.ticket.subject, now());
    });
    const portalEmits = probeEmits(portal.realtime.io, 'ticket:created');

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
      makeCtx({
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
      }),
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
      cookies.push(await signIn(portalUrl, op.email, PASSWORD));
    }

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
    // A real summary as the baseline's payload, so both servers send the same bytes.
    await createTicket('fanout sample');
    const any = await Ticket.findOne({ tenantId: tenant._id, subject: 'fanout sample' }).lean();
    const summary = any ? await ticketSummaryForEvent(String(any._id), tenantId) : null;
    if (!summary) throw new Error('no sample ticket');
    const sample = { ...summary, subject: 'fanout 000000000000' };
    const bareEmit = async (key: string): Promise<void> => {
      const res = await fetch(`${bare.url}/emit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...sample, subject: key }),
      });
      if (res.status !== 204) throw new Error(`bare server answered ${res.status}`);
    };
    out(`payload: ${JSON.stringify(sample).length} bytes of JSON (a ticket summary), both servers`);

    for (const n of SIZES) {
      out();
      out(`== ${n} sockets per server ==`);
      const viaPortal = await connectMeasured(() => startClientGroup(portalUrl, cookies, n, CLIENT_PROCS), n);
      const viaBare = await connectMeasured(() => startClientGroup(bare.url, [], n, CLIENT_PROCS), n);
      const sides: Side[] = [
        {
          name: 'portal',
          group: viaPortal.group,
          trigger: createTicket,
          times: (key) => ({
            stored: stored.get(key) ?? NaN,
            event: raised.get(key) ?? NaN,
            emitStart: portalEmits.get(key)?.start ?? NaN,
            emitEnd: portalEmits.get(key)?.end ?? NaN,
          }),
          rounds: [],
        },
        {
          name: 'bare',
          group: viaBare.group,
          trigger: bareEmit,
          times: (key) => ({
            stored: bare.received.get(key) ?? NaN,
            event: NaN,
            emitStart: bare.emits.get(key)?.start ?? NaN,
            emitEnd: bare.emits.get(key)?.end ?? NaN,
          }),
          rounds: [],
        },
      ];
      let missing = 0;
      for (let i = 0; i < WARMUP + TICKETS; i++) {
        // Alternate who goes first, so neither always follows the other's trailing work.
        const order = i % 2 ? [sides[1], sides[0]] : [sides[0], sides[1]];
        for (const side of order) {
          missing += await round(side as Side, i >= WARMUP);
          await sleep(GAP_MS);
        }
      }
      await Promise.all(sides.map((s) => s.group.close()));
      for (const [side, m] of [
        [sides[0], viaPortal],
        [sides[1], viaBare],
      ] as const) {
        if (!side) continue;
        if (side.group.failed || side.group.connected !== n) failed = true;
        out(
          `${side.name.padEnd(7)}connected ${side.group.connected}/${n} in ${(side.group.ms / 1000).toFixed(1)} s; ` +
            `server memory per connected socket: heap ${m.heap.toFixed(1)} KiB, RSS ${m.rss.toFixed(1)} KiB`,
        );
      }
      if (missing) failed = true;
      out(`missed receipts: ${missing}`);
      for (const side of sides) report(side, n);
      const p99 = (side: Side | undefined, start: (r: Round) => number) =>
        spread(side?.rounds.flatMap((r) => r.at.map((a) => a - start(r))) ?? []).p99;
      const ratio = (start: (r: Round) => number) => p99(sides[0], start) / p99(sides[1], start);
      const verdict = (x: number) => `${x.toFixed(2)}  (target <= 2.00: ${x <= 2 ? 'met' : 'NOT met'})`;
      out(`p99 portal / bare, from the ticket stored (judged): ${verdict(ratio((r) => r.stored))}`);
      out(`p99 portal / bare, from the request sent:          ${verdict(ratio((r) => r.sent))}`);
      out(`p99 portal / bare, from the emit call:             ${ratio((r) => r.emitStart).toFixed(2)}`);
      out(`(${load()})`);
    }
  } finally {
    await bare.close();
    await portal.stop();
    await engine.stop();
    redis?.stop();
  }
  return failed ? 1 : 0;
}

runOnBackends(main, 'bench:fanout');
