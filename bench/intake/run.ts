/**
 * Intake benchmark: tickets created per second through the REST API (POST /api/v1/tickets, 50
 * concurrent keep-alive clients) against a bare `insertOne` loop of equivalent documents on the
 * same database, in the same run. Everything runs on loopback: the embedded engine (memory
 * backend), the portal (in this process, PORT 0, no jobs) and the clients.
 *
 *   npm run bench:intake                 # 3000 requests, 50 clients
 *   BENCH_REQUESTS=1000 BENCH_CONCURRENCY=20 npm run bench:intake
 *
 * Prints the rates and their ratio, p50/p99 latency, errors (must be 0) and the process memory.
 * Exits non-zero when a request failed or the run took longer than BENCH_TIMEOUT_MS.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { Tenant } from '../../models/tenant.js';
import { Ticket } from '../../models/ticket.js';
import { User } from '../../models/user.js';
import { startPortal } from '../../server/boot.js';
import { loadConfig } from '../../server/config/config.js';
import { startEmbeddedEngine } from '../../server/db/embedded-engine.js';
import { createApiToken } from '../../server/domain/tenants/api-tokens.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 10 * 60_000);
/** Log level of the portal under test (written to /dev/null, so its cost is counted). */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const LOG_FILE = process.env.BENCH_LOG_FILE ?? '/dev/null';
/** BENCH_PROFILE=1: also time every database command of the API run (driver command monitoring). */
const PROFILE = process.env.BENCH_PROFILE === '1';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

const watchdog = setTimeout(() => {
  process.stderr.write(`bench: no result after ${TIMEOUT_MS} ms, giving up\n`);
  process.exit(2);
}, TIMEOUT_MS);
watchdog.unref();

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** The three ticket types in turn, each request with its own invoice number (no duplicates). */
function bodyFor(i: number): string {
  const common = { subject: `Bench ticket ${i}`, description: 'Created by bench/intake.', priority: 'normal', tags: ['bench'] };
  switch (i % 3) {
    case 0:
      return JSON.stringify({ ...common, type: 'data_entry', fields: { batchDescription: `Batch ${i}`, targetSystem: 'SAP', expectedRecordCount: 100 + i } });
    case 1:
      return JSON.stringify({
        ...common,
        type: 'complaint',
        fields: { customerName: 'Mario Rossi', customerReference: `ORD-${i}`, channel: 'phone', category: 'Delivery', severity: 'medium' },
      });
    default:
      return JSON.stringify({
        ...common,
        type: 'invoice',
        fields: { supplierName: 'Nordic Paper A/S', supplierVat: 'DK12345678', invoiceNumber: `B-${i}`, issueDate: '2026-03-02', dueDate: '2026-04-01', amount: 1250.5, currency: 'EUR' },
      });
  }
}

/** CPU time (ms, user + system) of this process's child processes named java: the engine. */
function engineCpuMs(): number {
  const tick = 10; // USER_HZ is 100 on Linux
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === 'java' && Number(fields[1]) === process.pid) total += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

const nodeCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface RunResult {
  ms: number;
  latencies: number[];
  errors: number;
  statuses: Record<string, number>;
}

/** `count` POSTs from `concurrency` clients over keep-alive connections. */
async function hammer(url: URL, token: string, count: number, concurrency: number, offset: number): Promise<RunResult> {
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
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
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

async function main(): Promise<number> {
  const quiet = pino({ level: 'error' });
  out(`bench:intake  requests=${REQUESTS} concurrency=${CONCURRENCY} warmup=${WARMUP} portal log level=${LOG_LEVEL} (to ${LOG_FILE})`);
  const engine = await startEmbeddedEngine({ backend: 'memory', log: quiet, dbName: 'bench_intake' });
  const config = loadConfig({
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PORT: '0',
    MONGODB_URI: PROFILE ? `${engine.uri}?monitorCommands=true` : engine.uri,
    JOBS_ENABLED: 'false',
    SEED_DEMO: 'false',
    LOG_LEVEL,
    API_RATE_LIMIT: String(10 * (REQUESTS + WARMUP)),
  });
  const portalLog = pino({ level: config.logLevel }, pino.destination({ dest: LOG_FILE, sync: false }));
  const portal = await startPortal(config, portalLog);
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 100);
  try {
    const tenant = await Tenant.create({ code: 'acme', legalName: 'Acme Logistica S.p.A.', timeZone: 'Europe/Rome', locale: 'it' });
    const admin = await User.create({ email: 'admin@acme.example', name: 'Chiara Bianchi', role: 'client_admin', tenantId: tenant._id, status: 'active' });
    const tenantId = String(tenant._id);
    const { token } = await createApiToken(
      {
        tenantId,
        actor: { kind: 'user', userId: String(admin._id), email: admin.email, name: admin.name, role: 'client_admin', tenantId, tenantIds: [tenantId], locale: 'it' },
        requestId: 'bench',
        log: quiet,
      },
      { name: 'bench' },
    );
    const url = new URL(portal.url.replace('localhost', '127.0.0.1'));

    // Warm up both paths (JIT, connection pools, the engine), then measure.
    const warm = await hammer(url, token, WARMUP, CONCURRENCY, 1_000_000);
    if (warm.errors) throw new Error(`warm-up failed: ${JSON.stringify(warm.statuses)}`);
    const db = mongoose.connection.db;
    if (!db) throw new Error('no database');
    const template = await Ticket.findOne({ tenantId: tenant._id }).lean();
    if (!template) throw new Error('no ticket to copy');
    const { _id: _ignored, ...shape } = template;
    const docFor = (i: number) => ({ ...shape, number: `ACME-B${i}`, seq: i, subject: `Bench ticket ${i}`, createdAt: new Date(), updatedAt: new Date() });
    const baseline = db.collection('bench_baseline_tickets');
    for (let i = 0; i < WARMUP; i++) await baseline.insertOne(docFor(-i - 1));

    // Baseline: a bare insertOne loop (one at a time), same database, equivalent documents.
    const baseCpu = { node: nodeCpuMs(), engine: engineCpuMs() };
    const baseStarted = performance.now();
    for (let i = 0; i < REQUESTS; i++) await baseline.insertOne(docFor(i));
    const baseMs = performance.now() - baseStarted;
    const baseNodeCpu = nodeCpuMs() - baseCpu.node;
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

    // Where the database time goes during the API run: command and collection, count and total ms.
    const commands = new Map<string, { n: number; ms: number }>();
    const client = mongoose.connection.getClient();
    const onCommand = (e: { commandName: string; duration: number; databaseName: string; reply?: unknown }, target: string): void => {
      const key = `${e.commandName} ${target}`;
      const row = commands.get(key) ?? { n: 0, ms: 0 };
      row.n++;
      row.ms += e.duration;
      commands.set(key, row);
    };
    const started = new Map<number, string>();
    if (PROFILE) {
      client.on('commandStarted', (e) => {
        const target = (e.command as Record<string, unknown>)[e.commandName];
        started.set(e.requestId, typeof target === 'string' ? target : '');
      });
      client.on('commandSucceeded', (e) => onCommand(e, started.get(e.requestId) ?? ''));
    }
    const rssBefore = process.memoryUsage().rss;
    rss.length = 0;
    const apiCpu = { node: nodeCpuMs(), engine: engineCpuMs() };
    const api = await hammer(url, token, REQUESTS, CONCURRENCY, 0);
    const apiNodeCpu = nodeCpuMs() - apiCpu.node;
    const apiEngineCpu = engineCpuMs() - apiCpu.engine;
    const stored = await Ticket.countDocuments({ tenantId: tenant._id, tags: 'bench' });

    const apiRate = REQUESTS / (api.ms / 1000);
    const baseRate = REQUESTS / (baseMs / 1000);
    const concRate = REQUESTS / (concMs / 1000);
    const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`;
    out();
    out(`baseline insertOne loop (sequential): ${baseRate.toFixed(0)} docs/s  (${REQUESTS} in ${(baseMs / 1000).toFixed(2)} s)`);
    out(`baseline insertOne, ${CONCURRENCY} concurrent (context): ${concRate.toFixed(0)} docs/s`);
    out(`REST API POST /api/v1/tickets, ${CONCURRENCY} clients: ${apiRate.toFixed(0)} tickets/s  (${REQUESTS} in ${(api.ms / 1000).toFixed(2)} s)`);
    out(`ratio API / baseline loop: ${(apiRate / baseRate).toFixed(2)}  (target >= 0.50: ${apiRate / baseRate >= 0.5 ? 'met' : 'NOT met'})`);
    out(`latency p50 ${percentile(api.latencies, 50).toFixed(1)} ms, p99 ${percentile(api.latencies, 99).toFixed(1)} ms, max ${percentile(api.latencies, 100).toFixed(1)} ms`);
    out(`errors: ${api.errors}  statuses: ${JSON.stringify(api.statuses)}  tickets stored: ${stored - WARMUP} of ${REQUESTS}`);
    out(`portal process (portal + load generator, one process) RSS: before ${mb(rssBefore)}, peak during run ${mb(Math.max(...rss, rssBefore))}, after ${mb(process.memoryUsage().rss)}`);
    const per = (ms: number): string => `${((ms / REQUESTS) * 1000).toFixed(0)} µs`;
    out(`CPU per document, baseline loop: node ${per(baseNodeCpu)}, engine ${per(baseEngineCpu)}  (over ${baseMs.toFixed(0)} ms wall)`);
    out(`CPU per ticket, REST API:        node ${per(apiNodeCpu)}, engine ${per(apiEngineCpu)}  (over ${api.ms.toFixed(0)} ms wall; node = portal + load generator)`);
    if (PROFILE) {
      const rows = [...commands.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const total = rows.reduce((sum, [, r]) => sum + r.ms, 0);
      out();
      out(`database commands during the API run (client-side duration, includes waiting in the engine; total ${total.toFixed(0)} ms):`);
      for (const [key, r] of rows.slice(0, 15)) out(`  ${key.padEnd(36)} ${String(r.n).padStart(6)} x ${(r.ms / r.n).toFixed(2).padStart(8)} ms = ${r.ms.toFixed(0).padStart(7)} ms (${((100 * r.ms) / total).toFixed(1)}%)`);
    }
    return api.errors === 0 && stored - WARMUP === REQUESTS ? 0 : 1;
  } finally {
    clearInterval(sampler);
    await portal.stop();
    await engine.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
