/**
 * Webhook delivery benchmark (issue 19): 10 000 events to 20 endpoints on a loopback receiver,
 * one of them down half the time, against a bare HTTP POST loop to the same receiver in the
 * same run.
 *
 *   npm run bench:webhooks                        # 10 000 events, 20 endpoints
 *   BENCH_EVENTS=2000 BENCH_BACKEND=memory npm run bench:webhooks
 *   BENCH_PROFILE=1 …                             # also the database commands of the delivery
 *
 * In this process: the embedded engine (BENCH_BACKEND: memory, h2 or both, bench/support/
 * backend.ts) and the domain's delivery worker (`deliverDueWebhooks`, what the agenda job and
 * the in-process wake-up call), WORKERS of them at once (default 2: the recurring job and the
 * wake-up of one node). The events are written as the recorder writes them (one row per event
 * and endpoint, due now, `insertFresh`: handed to this process's runs, fresh-events.ts), all at once.
 *
 * - bare: the same number of POSTs (the healthy endpoints' share of the bodies) to the same
 *   receiver with the same concurrency and keep-alive sockets, nothing else;
 * - portal: the workers deliver until every healthy endpoint's event is delivered (the flaky
 *   endpoint answers 503 every other second: its events retry on the spec's schedule, and its
 *   breaker opens); then the receiver is healed and the clock moved on until every event is
 *   delivered.
 * Prints the throughput of both and their ratio (target: at least 0.5x for healthy endpoints),
 * p50/p99 delay from an event's writing to its first 2xx (healthy endpoints), events lost
 * (never delivered: must be 0) and webhook-ids answered 2xx more than once (must be 0).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import mongoose, { Types } from 'mongoose';
import { pino } from 'pino';
import { Tenant } from '../../models/tenant.js';
import { WebhookAttempt } from '../../models/webhook-attempt.js';
import { WebhookEndpoint } from '../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../models/webhook-event.js';
import { systemCtx } from '../../server/domain/context.js';
import { deliverDueWebhooks } from '../../server/domain/webhooks/deliver.js';
import { attemptHistory } from '../../server/domain/webhooks/list-attempts.js';
import { insertFresh } from '../../server/domain/webhooks/record-events.js';
import { msgIdOf, unsentState } from '../../server/domain/webhooks/event-types.js';
import { newWebhookSecret } from '../../server/domain/webhooks/secrets.js';
import { configureWebhooks } from '../../server/domain/webhooks/settings.js';
import { runOnBackends, startBenchEngine } from '../support/backend.js';
import { commandLine, commandProfile, out, spread, startWatchdog } from '../support/harness.js';
import { engineCpuMs, ownCpuMs } from '../support/proc.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 20);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 10 * 60_000);
const PROFILE = process.env.BENCH_PROFILE === '1';
/** The bare loop's requests at once: the worker's (deliveryPolicy.concurrency). */
const BARE_CONCURRENCY = Number(process.env.BENCH_BARE_CONCURRENCY ?? 16);

startWatchdog(TIMEOUT_MS);

/** The receiver: 200 for every path but the flaky one's, which is down every other second. */
function startReceiver(flakyPath: string) {
  const ok = new Map<string, number>(); // webhook-id -> 2xx answers
  const firstOk = new Map<string, number>(); // webhook-id -> when (epoch ms)
  let healed = false;
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      const id = String(req.headers['webhook-id'] ?? '');
      const down = !healed && req.url === flakyPath && Math.floor(Date.now() / 1000) % 2 === 0;
      if (down) {
        res.writeHead(503).end('down');
        return;
      }
      if (id) {
        ok.set(id, (ok.get(id) ?? 0) + 1);
        if (!firstOk.has(id)) firstOk.set(id, Date.now());
      }
      res.writeHead(200).end('ok');
    });
  });
  return {
    ok,
    firstOk,
    requests: () => requests,
    heal() {
      healed = true;
    },
    async start(): Promise<number> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      return (server.address() as AddressInfo).port;
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The bare loop: `bodies` POSTed with BARE_CONCURRENCY at once over keep-alive sockets. */
async function bareLoop(port: number, paths: string[], bodies: string[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: BARE_CONCURRENCY });
  let next = 0;
  const started = performance.now();
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: paths[i % paths.length],
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end(bodies[i]);
    });
  await Promise.all(
    Array.from({ length: BARE_CONCURRENCY }, async () => {
      while (next < bodies.length) await one(next++);
    }),
  );
  agent.destroy();
  return performance.now() - started;
}

// Long function: the bench's phases (set-up, bare loop, delivery, recovery, report) read top to bottom.
async function main(): Promise<number> {
  const quiet = pino({ level: 'error' });
  out(`bench:webhooks  events=${EVENTS} endpoints=${ENDPOINTS} workers=${WORKERS}`);
  const engine = await startBenchEngine('bench_webhooks', quiet);
  await mongoose.connect(PROFILE ? `${engine.uri}?monitorCommands=true` : engine.uri);
  await Promise.all([WebhookEvent.init(), WebhookAttempt.init(), WebhookEndpoint.init()]);
  const flakyPath = '/hook/0';
  const receiver = startReceiver(flakyPath);
  const port = await receiver.start();
  configureWebhooks({ allowHosts: ['127.0.0.1'] });
  let failed = false;
  try {
    const tenant = await Tenant.create({
      code: 'acme',
      legalName: 'Acme Logistica S.p.A.',
      timeZone: 'Europe/Rome',
      locale: 'it',
    });
    const now = new Date();
    const endpoints = Array.from({ length: ENDPOINTS }, (_, i) => ({
      _id: new Types.ObjectId(),
      tenantId: tenant._id,
      url: `http://127.0.0.1:${port}/hook/${i}`,
      description: `bench ${i}`,
      events: ['ticket.created'],
      secret: newWebhookSecret(),
      orderedPerTicket: false,
      state: 'active',
      derivedUntil: now,
      createdAt: now,
      updatedAt: now,
    }));
    await WebhookEndpoint.insertMany(endpoints);
    const flakyId = String(endpoints[0]?._id);
    const body = (i: number) =>
      JSON.stringify({
        type: 'ticket.created',
        timestamp: now.toISOString(),
        data: {
          tenantId: String(tenant._id),
          ticket: { id: new Types.ObjectId().toHexString(), number: `ACME-${i}`, type: 'complaint' },
          channel: 'portal',
          links: {
            ticket: `https://desk.example/tickets/ACME-${i}`,
            api: `https://desk.example/api/v1/tickets/ACME-${i}`,
          },
        },
      });
    const rows = Array.from({ length: EVENTS }, (_, i) => {
      const ep = endpoints[i % ENDPOINTS] as (typeof endpoints)[number];
      const key = `${String(ep._id)}:bench-${i}`;
      const id = new Types.ObjectId();
      return {
        _id: id,
        tenantId: tenant._id,
        endpointId: ep._id,
        key,
        msgId: msgIdOf(key),
        type: 'ticket.created',
        ticketId: new Types.ObjectId(),
        occurredAt: now,
        sourceId: id,
        payload: body(i),
        ...unsentState(now),
      };
    });
    const healthy = rows.filter((r) => String(r.endpointId) !== flakyId);

    // The bare loop first, on the same receiver (its requests carry no webhook-id: not counted).
    const healthyPaths = endpoints.slice(1).map((_, i) => `/hook/${i + 1}`);
    const bareCpu = [ownCpuMs(), engineCpuMs()];
    const bareMs = await bareLoop(
      port,
      healthyPaths,
      healthy.map((r) => r.payload),
    );
    const bareCpuMs = [ownCpuMs() - (bareCpu[0] as number), engineCpuMs() - (bareCpu[1] as number)];
    const barePerSec = (healthy.length / bareMs) * 1000;
    out(
      `bare POST loop   ${healthy.length} requests in ${bareMs.toFixed(0)} ms = ${barePerSec.toFixed(0)}/s`,
    );

    // Written as the recorder writes them: one insert per batch, handed to this process's runs.
    for (let i = 0; i < rows.length; i += 1000) await insertFresh(rows.slice(i, i + 1000), endpoints);
    const written = Date.now();
    const client = mongoose.connection.getClient();
    const profile = PROFILE ? commandProfile(client) : null;
    profile?.start();

    // The workers, until every healthy endpoint's event got its 2xx.
    const healthyIds = new Set(healthy.map((r) => r.msgId));
    const healthyDone = () => [...healthyIds].every((id) => receiver.ok.has(id));
    const portalCpu = [ownCpuMs(), engineCpuMs()];
    const started = performance.now();
    let runs = 0;
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const ctx = systemCtx(quiet, `bench-worker-${w}`);
        while (!healthyDone()) {
          runs++;
          const r = await deliverDueWebhooks(ctx);
          if (!r.claimed) await new Promise((res) => setTimeout(res, 20));
        }
      }),
    );
    const portalMs = performance.now() - started;
    const portalCpuMs = [ownCpuMs() - (portalCpu[0] as number), engineCpuMs() - (portalCpu[1] as number)];
    profile?.stop();
    const portalPerSec = (healthy.length / portalMs) * 1000;
    const delays = healthy.map((r) => (receiver.firstOk.get(r.msgId) ?? NaN) - written);
    const d = spread(delays);
    out(
      `portal delivery  ${healthy.length} healthy events in ${portalMs.toFixed(0)} ms = ${portalPerSec.toFixed(0)}/s (${runs} runs)`,
    );
    out(`ratio            ${(portalPerSec / barePerSec).toFixed(2)}x of the bare loop (target 0.5x)`);
    // Where the time goes: this process (portal, receiver, bare client) and the engine, per healthy event.
    const perEvent = (ms: number) => `${((ms * 1000) / healthy.length).toFixed(0)} µs`;
    out(
      `CPU per event    bare: this process ${perEvent(bareCpuMs[0] as number)}, engine ${perEvent(bareCpuMs[1] as number)}; ` +
        `portal: this process ${perEvent(portalCpuMs[0] as number)} (${((100 * (portalCpuMs[0] as number)) / portalMs).toFixed(0)} % of a core), ` +
        `engine ${perEvent(portalCpuMs[1] as number)} (${((100 * (portalCpuMs[1] as number)) / portalMs).toFixed(0)} %)`,
    );
    out(
      `delay to first 2xx (healthy): p50 ${d.p50.toFixed(0)} ms, p99 ${d.p99.toFixed(0)} ms, max ${d.max.toFixed(0)} ms`,
    );
    if (profile) {
      const list = profile.rows();
      out(
        `database commands during delivery (${list.reduce((n, [, r]) => n + r.n, 0)}, per healthy event ${(list.reduce((n, [, r]) => n + r.n, 0) / healthy.length).toFixed(2)}):`,
      );
      for (const [key, r] of list) out(commandLine(key, r, 36, 6));
    }

    // The flaky endpoint recovers; the clock moves on (retries at 5 s, 5 min, …; the breaker).
    receiver.heal();
    let shift = 0;
    const ctx = systemCtx(quiet, 'bench-recovery');
    for (let step = 0; step < 200; step++) {
      const left = await WebhookEvent.countDocuments({ status: { $ne: 'delivered' } }).setOptions({
        allTenants: true,
      });
      if (!left) break;
      shift += 5 * 60_000;
      await deliverDueWebhooks(ctx, { now: () => new Date(Date.now() + shift) });
    }
    const lost = rows.filter((r) => !receiver.ok.has(r.msgId)).length;
    const twice = [...receiver.ok.values()].filter((n) => n > 1).length;
    const flakyAttempts = (await attemptHistory({ endpointId: endpoints[0]!._id })).length;
    out(`flaky endpoint   ${EVENTS / ENDPOINTS} events, ${flakyAttempts} attempts until all delivered`);
    out(`lost             ${lost} (must be 0)`);
    out(`2xx twice        ${twice} (must be 0)`);
    failed = lost > 0 || twice > 0;
  } finally {
    await receiver.stop();
    await mongoose.disconnect();
    await engine.stop();
  }
  return failed ? 1 : 0;
}

runOnBackends(main, 'bench:webhooks');
