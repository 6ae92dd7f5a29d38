/**
 * Intake benchmark: tickets created per second through the REST API (POST /api/v1/tickets, 50
 * concurrent keep-alive clients) against a bare `insertOne` loop of equivalent documents on the
 * same database, in the same run. Everything runs on loopback, in three processes as in
 * production: the embedded engine (BENCH_BACKEND: memory, h2 or both, see
 * bench/support/backend.ts; a child of this process), the portal
 * (`node --import tsx server/main.ts`, its own process: LOG_LEVEL=warn, jobs on as in
 * production, no demo seed) and this process, which runs the baseline and the load generator.
 *
 *   npm run bench:intake                 # 3000 requests, 50 clients
 *   BENCH_REQUESTS=1000 BENCH_CONCURRENCY=20 npm run bench:intake
 *   BENCH_PROFILE=1 npm run bench:intake # also: the portal's database commands, count and time
 *   BENCH_PROFILE=1 BENCH_CPU_PROF=dir npm run bench:intake # and a CPU profile of the portal's run
 *
 * Also measures the floor (bench/intake/floor-server.ts: the same stack doing one insertOne per
 * request and nothing else) with the same load, to show what any ticket API can reach here.
 *
 * Prints both baselines (sequential and concurrent insertOne), the API rate and its ratio to the
 * sequential loop, p50/p99 latency, errors (must be 0), the portal process's RSS and CPU, the
 * engine's CPU, and how long the portal took to send the confirmation mails queued by the run.
 * Exits non-zero when a request failed or the run took longer than BENCH_TIMEOUT_MS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { OutboxMail } from '../../models/outbox-mail.js';
import { Tenant } from '../../models/tenant.js';
import { Ticket } from '../../models/ticket.js';
import { User } from '../../models/user.js';
import { runOnBackends, startBenchEngine } from '../support/backend.js';
import { makeCtx } from '../../server/domain/context.js';
import { createApiToken } from '../../server/domain/tenants/api-tokens.js';
import { fromRoot } from '../../server/paths.js';
import {
  commandLine,
  freePort,
  mb,
  out,
  percentile,
  sleep,
  startWatchdog,
  type CommandRow,
} from '../support/harness.js';
import { engineCpuMs, ownCpuMs, processCpuMs, processRss } from '../support/proc.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 10 * 60_000);
/** Log level of the portal under test (its output goes to a pipe this process drains). */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
/** Jobs as in production (JOBS_ENABLED defaults to true); BENCH_JOBS=false to leave them out. */
const JOBS = process.env.BENCH_JOBS ?? 'true';
const PROFILE = process.env.BENCH_PROFILE === '1';
/** How long to wait for the portal to send the mail queued by a run before reporting a backlog. */
const MAIL_DRAIN_MS = Number(process.env.BENCH_MAIL_DRAIN_MS ?? 60_000);

startWatchdog(TIMEOUT_MS);

/** The three ticket types in turn, each request with its own invoice number (no duplicates). */
function bodyFor(i: number): string {
  const common = {
    subject: `Bench ticket ${i}`,
    description: 'Created by bench/intake.',
    priority: 'normal',
    tags: ['bench'],
  };
  switch (i % 3) {
    case 0:
      return JSON.stringify({
        ...common,
        type: 'data_entry',
        fields: { batchDescription: `Batch ${i}`, targetSystem: 'SAP', expectedRecordCount: 100 + i },
      });
    case 1:
      return JSON.stringify({
        ...common,
        type: 'complaint',
        fields: {
          customerName: 'Mario Rossi',
          customerReference: `ORD-${i}`,
          channel: 'phone',
          category: 'Delivery',
          severity: 'medium',
        },
      });
    default:
      return JSON.stringify({
        ...common,
        type: 'invoice',
        fields: {
          supplierName: 'Nordic Paper A/S',
          supplierVat: 'DK12345674',
          invoiceNumber: `B-${i}`,
          issueDate: '2026-03-02',
          dueDate: '2026-04-01',
          amount: 1250.5,
          currency: 'EUR',
        },
      });
  }
}

interface PortalProcess {
  child: ChildProcess;
  pid: number;
  url: URL;
  output(): string;
  stop(): Promise<number | null>;
}

/** The portal as `npm start` runs it (server/main.ts, its own process), against the engine's URI. */
async function spawnPortal(mongodbUri: string, entryOverride?: string): Promise<PortalProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PORT: String(port),
    MONGODB_URI: PROFILE ? `${mongodbUri}?monitorCommands=true` : mongodbUri,
    LOG_LEVEL,
    JOBS_ENABLED: JOBS,
    SEED_DEMO: 'false',
    API_RATE_LIMIT: String(10 * (REQUESTS + WARMUP)),
  };
  delete env.SMTP_URL; // no mail server: mail goes through the outbox to the JSON transport
  const entry =
    entryOverride ??
    (PROFILE ? fromRoot('bench', 'intake', 'profiled-portal.ts') : fromRoot('server', 'main.ts'));
  const nodeFlags = ['--import', 'tsx'];
  const child = spawn(process.execPath, [...nodeFlags, entry], {
    cwd: fromRoot(),
    env,
    stdio: ['ignore', 'pipe', 'pipe', ...(PROFILE && !entryOverride ? (['ipc'] as const) : [])],
  });
  let output = '';
  const keep = (c: Buffer): void => {
    output = (output + c.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new URL(`http://127.0.0.1:${port}`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`portal exited early (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(new URL('/readyz', url))).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`portal not ready in 120 s:\n${output}`);
    }
    await sleep(200);
  }
  return {
    child,
    pid: child.pid ?? 0,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The portal's per-command totals since the last reset (BENCH_PROFILE=1 only). */
function portalProfile(child: ChildProcess): Promise<Array<[string, CommandRow]>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { profile: Array<[string, CommandRow]> }).profile));
    child.send('profile:report');
  });
}

interface RunResult {
  ms: number;
  latencies: number[];
  errors: number;
  statuses: Record<string, number>;
}

/** `count` POSTs from `concurrency` clients over keep-alive connections. */
async function hammer(
  url: URL,
  token: string,
  count: number,
  concurrency: number,
  offset: number,
): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const body = bodyFor(offset + i);
      const started = performance.now();
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/api/v1/tickets',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          res.resume();
          res.once('end', () => {
            latencies.push(performance.now() - started);
            const key = String(res.statusCode);
            statuses[key] = (statuses[key] ?? 0) + 1;
            if (res.statusCode !== 201) errors++;
            resolve();
          });
        },
      );
      req.once('error', (err) => {
        statuses[err.message] = (statuses[err.message] ?? 0) + 1;
        errors++;
        resolve();
      });
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (next < count) await one(next++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - started;
  agent.destroy();
  return { ms, latencies: latencies.sort((a, b) => a - b), errors, statuses };
}

/** Mail still waiting to be sent (queued, being sent or due for a retry). */
const unsentMail = (): Promise<number> =>
  OutboxMail.countDocuments({ status: { $in: ['pending', 'sending'] } }).setOptions({ allTenants: true });

/** Wait until the portal has sent every queued mail (or `limitMs` passed); the time it took. */
async function drainMail(limitMs: number): Promise<{ ms: number; left: number }> {
  const started = performance.now();
  for (;;) {
    const left = await unsentMail();
    const ms = performance.now() - started;
    if (left === 0 || ms > limitMs) return { ms, left };
    await sleep(100);
  }
}

async function main(): Promise<number> {
  const quiet = pino({ level: 'error' });
  out(
    `bench:intake  requests=${REQUESTS} concurrency=${CONCURRENCY} warmup=${WARMUP} portal: own process, LOG_LEVEL=${LOG_LEVEL}, JOBS_ENABLED=${JOBS}`,
  );
  const engine = await startBenchEngine('bench_intake', quiet);
  let portal: PortalProcess | undefined;
  try {
    // This process's own connection: the test data, the baseline and the checks.
    await mongoose.connect(engine.uri);
    await Promise.all(Object.values(mongoose.models).map((m) => m.createIndexes()));
    const tenant = await Tenant.create({
      code: 'acme',
      legalName: 'Acme Logistica S.p.A.',
      timeZone: 'Europe/Rome',
      locale: 'it',
    });
    const admin = await User.create({
      email: 'admin@acme.example',
      name: 'Chiara Bianchi',
      role: 'client_admin',
      tenantId: tenant._id,
      status: 'active',
    });
    const tenantId = String(tenant._id);
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

    portal = await spawnPortal(engine.uri);
    const { pid, url } = portal;
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(processRss(pid)), 100);

    // Warm up the portal (JIT, connection pools, the engine), let it send the warm-up's mail, then measure.
    const warm = await hammer(url, token, WARMUP, CONCURRENCY, 1_000_000);
    if (warm.errors) throw new Error(`warm-up failed: ${JSON.stringify(warm.statuses)}`);
    await drainMail(MAIL_DRAIN_MS);
    const db = mongoose.connection.db;
    if (!db) throw new Error('no database');
    const template = await Ticket.findOne({ tenantId: tenant._id }).lean();
    if (!template) throw new Error('no ticket to copy');
    const { _id: _ignored, ...shape } = template;
    const docFor = (i: number) => ({
      ...shape,
      number: `ACME-B${i}`,
      seq: i,
      subject: `Bench ticket ${i}`,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const baseline = db.collection('bench_baseline_tickets');
    for (let i = 0; i < WARMUP; i++) await baseline.insertOne(docFor(-i - 1));

    // Baseline: a bare insertOne loop (one at a time), same database, equivalent documents.
    const baseCpu = { own: ownCpuMs(), engine: engineCpuMs() };
    const baseStarted = performance.now();
    for (let i = 0; i < REQUESTS; i++) await baseline.insertOne(docFor(i));
    const baseMs = performance.now() - baseStarted;
    const baseOwnCpu = ownCpuMs() - baseCpu.own;
    const baseEngineCpu = engineCpuMs() - baseCpu.engine;
    // For context: the same inserts from CONCURRENCY concurrent callers.
    const concurrentBaseline = db.collection('bench_baseline_concurrent');
    let n = 0;
    const concStarted = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (n < REQUESTS) await concurrentBaseline.insertOne(docFor(n++));
      }),
    );
    const concMs = performance.now() - concStarted;

    if (PROFILE) portal.child.send('profile:reset');
    const rssBefore = processRss(pid);
    rss.length = 0;
    const apiCpu = { own: ownCpuMs(), engine: engineCpuMs(), portal: processCpuMs(pid) };
    const api = await hammer(url, token, REQUESTS, CONCURRENCY, 0);
    const apiOwnCpu = ownCpuMs() - apiCpu.own;
    const apiEngineCpu = engineCpuMs() - apiCpu.engine;
    const apiPortalCpu = processCpuMs(pid) - apiCpu.portal;
    const rssPeak = Math.max(rssBefore, ...rss);
    const profile = PROFILE ? await portalProfile(portal.child) : [];
    const mailAtEnd = await unsentMail();
    const drain = await drainMail(MAIL_DRAIN_MS);
    const drainPortalCpu = processCpuMs(pid) - apiCpu.portal - apiPortalCpu;
    clearInterval(sampler);
    const stored = await Ticket.countDocuments({ tenantId: tenant._id, tags: 'bench' });
    const rssAfter = processRss(pid);

    // The floor: the same stack answering with one insertOne per request (bench/intake/floor-server.ts).
    const floorServer = await spawnPortal(engine.uri, fromRoot('bench', 'intake', 'floor-server.ts'));
    let floor: RunResult;
    let floorCpu: number;
    try {
      await hammer(floorServer.url, token, WARMUP, CONCURRENCY, 2_000_000);
      const before = processCpuMs(floorServer.pid);
      floor = await hammer(floorServer.url, token, REQUESTS, CONCURRENCY, 0);
      floorCpu = processCpuMs(floorServer.pid) - before;
    } finally {
      await floorServer.stop();
    }
    const floorRate = REQUESTS / (floor.ms / 1000);

    const apiRate = REQUESTS / (api.ms / 1000);
    const baseRate = REQUESTS / (baseMs / 1000);
    const concRate = REQUESTS / (concMs / 1000);
    const per = (ms: number): string => `${((ms / REQUESTS) * 1000).toFixed(0)} µs`;
    out();
    out(
      `baseline insertOne loop (sequential): ${baseRate.toFixed(0)} docs/s  (${REQUESTS} in ${(baseMs / 1000).toFixed(2)} s)`,
    );
    out(
      `baseline insertOne, ${CONCURRENCY} concurrent (context): ${concRate.toFixed(0)} docs/s  (${REQUESTS} in ${(concMs / 1000).toFixed(2)} s)`,
    );
    out(
      `REST API POST /api/v1/tickets, ${CONCURRENCY} clients: ${apiRate.toFixed(0)} tickets/s  (${REQUESTS} in ${(api.ms / 1000).toFixed(2)} s)`,
    );
    out(
      `ratio API / baseline loop: ${(apiRate / baseRate).toFixed(2)}  (target >= 0.50: ${apiRate / baseRate >= 0.5 ? 'met' : 'NOT met'})`,
    );
    out(
      `floor (express + helmet + pino-http + JSON body, ONE insertOne per request, nothing else), ${CONCURRENCY} clients: ${floorRate.toFixed(0)} req/s, ratio to the baseline loop ${(floorRate / baseRate).toFixed(2)}, server CPU ${per(floorCpu)} per request, errors ${floor.errors}`,
    );
    out(
      `latency p50 ${percentile(api.latencies, 50).toFixed(1)} ms, p99 ${percentile(api.latencies, 99).toFixed(1)} ms, max ${percentile(api.latencies, 100).toFixed(1)} ms`,
    );
    out(
      `errors: ${api.errors}  statuses: ${JSON.stringify(api.statuses)}  tickets stored: ${stored - WARMUP} of ${REQUESTS}`,
    );
    out(
      `portal process (pid ${pid}) RSS: before ${mb(rssBefore)}, peak during run ${mb(rssPeak)}, after ${mb(rssAfter)}`,
    );
    out(
      `portal process CPU during the run: ${(apiPortalCpu / 1000).toFixed(2)} s over ${(api.ms / 1000).toFixed(2)} s wall (${((100 * apiPortalCpu) / api.ms).toFixed(0)}% of one core)`,
    );
    out(
      `mail: ${mailAtEnd} of ${REQUESTS} confirmations unsent when the run ended; ${drain.left ? `${drain.left} still unsent after ${(drain.ms / 1000).toFixed(1)} s` : `all sent ${(drain.ms / 1000).toFixed(1)} s later`} (portal CPU meanwhile ${(drainPortalCpu / 1000).toFixed(2)} s)`,
    );
    out(
      `CPU per document, baseline loop: bench ${per(baseOwnCpu)}, engine ${per(baseEngineCpu)}  (over ${baseMs.toFixed(0)} ms wall)`,
    );
    out(
      `CPU per ticket, REST API:        portal ${per(apiPortalCpu)}, engine ${per(apiEngineCpu)}, load generator ${per(apiOwnCpu)}  (over ${api.ms.toFixed(0)} ms wall)`,
    );
    if (PROFILE) {
      const rows = profile.sort((a, b) => b[1].ms - a[1].ms);
      const total = rows.reduce((sum, [, r]) => sum + r.ms, 0);
      const count = rows.reduce((sum, [, r]) => sum + r.n, 0);
      out();
      out(
        `portal database commands during the API run: ${count} (${(count / REQUESTS).toFixed(2)} per ticket); client-side duration, includes waiting in the engine; total ${total.toFixed(0)} ms:`,
      );
      for (const [key, r] of rows.slice(0, 20))
        out(`${commandLine(key, r, 40, 6)} (${((100 * r.ms) / total).toFixed(1)}%)`);
    }
    const lines = portal.output().split('\n').filter(Boolean);
    if (lines.length)
      out(
        `portal wrote ${lines.length} lines to stdout/stderr (LOG_LEVEL=${LOG_LEVEL}); the last: ${lines.at(-1)?.slice(0, 300)}`,
      );
    if (api.errors) out(`portal output (tail):\n${portal.output().slice(-4000)}`);
    return api.errors === 0 && stored - WARMUP === REQUESTS ? 0 : 1;
  } finally {
    const code = await portal?.stop();
    if (code !== undefined && code !== 0)
      out(`portal exited with ${code}:\n${portal?.output().slice(-4000)}`);
    await mongoose.disconnect();
    await engine.stop();
  }
}

runOnBackends(main, 'bench:intake');
