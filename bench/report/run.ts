/**
 * Report benchmark (issue 7): the monthly SLA report of one tenant with 100 000 tickets in the
 * period and 1 000 000 in the database, against a bare cursor reading the same tickets' metric
 * fields in the same run. Target: the report within 2x of that baseline.
 *
 *   npm run bench:report                                       # 1 000 000 tickets, 100 000 in the period
 *   BENCH_TOTAL=200000 BENCH_IN_PERIOD=20000 npm run bench:report   # a quick run
 *   BENCH_REPS=9 npm run bench:report                          # more rounds (default 5)
 *   MONGODB_URI=mongodb://127.0.0.1:27017/bench_report npm run bench:report   # another server (its database is dropped)
 *
 * In this process: the embedded engine (memory backend, a child process, its heap sized for
 * BENCH_TOTAL through DEVDB_JAVA_OPTS unless that is set: about 13.5 GB for a million tickets, see
 * engineHeap), unless MONGODB_URI is set; then, on this process's mongoose connection:
 * - the data (bench/report/seed.ts): 10 tenants with their calendars and BENCH_TOTAL tickets;
 *   the measured tenant (office hours in Europe/Rome) has BENCH_IN_PERIOD of them created in
 *   November 2025, 0.9 x that in October (the previous period of the report's trend), 0.1 x in
 *   each other month of 2025 and an open backlog of 2 %;
 * - baseline: a bare driver cursor over the tickets the report needs (that tenant's tickets with
 *   an SLA outcome, a creation or a resolution in November or October, or open at the end of
 *   November), projected to the fields the report reads, fully drained and nothing computed;
 * - report: slaReport(ctx, tenant, { from: '2025-11-01', to: '2025-12-01' }), the domain call
 *   behind the report page, its exports and the monthly mail.
 * One unmeasured round of each, then BENCH_REPS rounds alternating which goes first, each after a
 * full garbage collection. Prints p50 (and min, max) of both times, the CPU time of this process
 * and of the engine (on a shared machine, wall time also counts other work), the ratio, and each
 * side's peak memory over what was in use before it (RSS and V8 heap, sampled every 5 ms). Exits
 * non-zero when the ratio is above 2, or when the run took longer than BENCH_TIMEOUT_MS.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { activeStatuses, Ticket } from '../../models/ticket.js';
import type { EmbeddedEngine } from '../../server/db/embedded-engine.js';
import { benchBackend, runOnBackends, startBenchEngine } from '../support/backend.js';
import { systemCtx } from '../../server/domain/context.js';
import { periodOf, previousPeriod } from '../../server/domain/reports/report-period.js';
import { slaReport, type SlaReport } from '../../server/domain/reports/sla-report.js';
import { forcedGc, mb, out, secs, startWatchdog } from '../support/harness.js';
import { ownCpuMs, processCpuMs, processRss } from '../support/proc.js';
import { createTenants, insertTickets, MONTH, plan, YEAR, type BenchTenant } from './seed.js';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 1_000_000);
const IN_PERIOD = Number(process.env.BENCH_IN_PERIOD ?? 100_000);
const REPS = Number(process.env.BENCH_REPS ?? 5);
/** The baseline's cursor batch size (the report's is its own, 2000). */
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 2000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 60 * 60_000);
const TARGET_RATIO = 2;

startWatchdog(TIMEOUT_MS);

const gc = forcedGc();

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Resident memory of a process (the engine's JVM), from /proc; NaN where there is none. */
const rssOf = (pid: number | undefined): number => processRss(pid, NaN);

/** The engine is the only java child of this process. */
function enginePid(): number | undefined {
  try {
    const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return children.find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('devdb.jar');
      } catch {
        return false;
      }
    });
  } catch {
    return undefined;
  }
}

/**
 * JVM heap flags for the memory backend holding `total` tickets. It keeps every document as Java
 * maps: about 9.5 kB of old generation per ticket as seeded here (measured with jcmd GC.heap_info
 * at 200 000). A heap whose old generation barely holds them makes every query pay for full
 * collections (a 15 s baseline instead of 1.6 s at 200 000 with -Xmx2g), hence 12 kB a ticket
 * plus 2 GB, and a young generation of at most 2 GB so that the old one gets the rest.
 */
function engineHeap(total: number): string {
  const heapMb = Math.ceil((total * 12_000) / 1048576) + 2048;
  return `-Xmx${heapMb}m -Xmn${Math.min(2048, Math.floor(heapMb / 4))}m`;
}

interface Run {
  ms: number;
  /** CPU time of this process and of the engine during the run. */
  cpu: number;
  engineCpu: number;
  /** Peaks over what was in use when the run started, after a full GC. */
  rss: number;
  heap: number;
  docs: number;
}

/** Times `work`, sampling this process's memory every 5 ms while it runs. */
async function measured(work: () => Promise<number>, engine: number | undefined): Promise<Run> {
  gc();
  const cpu = ownCpuMs();
  const engineCpu = processCpuMs(engine);
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 5);
  const started = performance.now();
  const docs = await work();
  const ms = performance.now() - started;
  sample();
  clearInterval(sampler);
  return {
    ms,
    cpu: ownCpuMs() - cpu,
    engineCpu: processCpuMs(engine) - engineCpu,
    rss: peakRss - before.rss,
    heap: peakHeap - before.heapUsed,
    docs,
  };
}

/**
 * The tickets a monthly report needs, as a minimal report would ask for them: the tenant's tickets
 * with a target outcome (met, breached or due) or a creation in the period or the previous one,
 * resolved in the period, or open at the period end; only the fields the figures are made of.
 */
function baselineQuery(tenant: BenchTenant, period: { from: Date; to: Date }, previous: { from: Date }) {
  const range = { $gte: previous.from, $lt: period.to };
  const slaFields = ['targetSeconds', 'dueAt', 'metAt', 'businessSeconds', 'breachedAt'];
  const projection: Record<string, 0 | 1> = {
    _id: 0,
    number: 1,
    type: 1,
    priority: 1,
    channel: 1,
    status: 1,
    createdAt: 1,
    resolvedAt: 1,
    closedAt: 1,
    reopenedAt: 1,
  };
  for (const target of ['firstResponse', 'resolution'])
    for (const f of slaFields) projection[`sla.${target}.${f}`] = 1;
  const filter = {
    tenantId: tenant._id,
    $or: [
      { createdAt: range },
      ...['firstResponse', 'resolution'].flatMap((target) =>
        ['metAt', 'breachedAt', 'dueAt'].map((f) => ({ [`sla.${target}.${f}`]: range })),
      ),
      { resolvedAt: { $gte: period.from, $lt: period.to } },
      { createdAt: { $lt: period.to }, status: { $in: activeStatuses } },
      { createdAt: { $lt: period.to }, resolvedAt: { $gte: period.to } },
      { createdAt: { $lt: period.to }, resolvedAt: null, closedAt: { $gte: period.to } },
    ],
  };
  return { filter, projection };
}

async function main(): Promise<number> {
  const started = performance.now();
  const quiet = pino({ level: 'error' });
  if (!process.env.MONGODB_URI && !process.env.DEVDB_JAVA_OPTS)
    process.env.DEVDB_JAVA_OPTS = engineHeap(TOTAL);
  out(
    `bench:report  total=${TOTAL} in period=${IN_PERIOD} reps=${REPS} batchSize=${BATCH_SIZE} engine: ${process.env.MONGODB_URI ? 'MONGODB_URI' : `embedded, ${benchBackend()} backend, DEVDB_JAVA_OPTS=${process.env.DEVDB_JAVA_OPTS}`}`,
  );
  let engine: EmbeddedEngine | undefined;
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    engine = await startBenchEngine('bench_report', quiet);
    uri = engine.uri;
  }
  let failed = false;
  try {
    await mongoose.connect(uri);
    // Only a database given by MONGODB_URI can hold an earlier run (ours is new; H2 could not
    // reuse a dropped name anyway).
    if (!engine) await mongoose.connection.dropDatabase();
    await Promise.all(Object.values(mongoose.models).map((m) => m.createIndexes()));
    const db = mongoose.connection.db;
    if (!db) throw new Error('no database');

    // Seed.
    let t = performance.now();
    const tenants = await createTenants();
    const measuredTenant = tenants[0] as BenchTenant;
    let lastShown = 0;
    const inserted = await insertTickets(
      Ticket.collection,
      plan(tenants, TOTAL, IN_PERIOD),
      Date.now(),
      (done) => {
        if (done - lastShown >= 100_000) {
          lastShown = done;
          out(`  seeded ${done} tickets (${secs(performance.now() - t)})`);
        }
      },
    );
    const seedMs = performance.now() - t;
    const pid = engine ? enginePid() : undefined;
    out(
      `seed: ${inserted} tickets in ${secs(seedMs)} (${Math.round(inserted / (seedMs / 1000))}/s, built and inserted)${pid ? `; engine RSS ${mb(rssOf(pid))}` : ''}`,
    );

    // The same question, two ways.
    const from = `${YEAR}-${String(MONTH).padStart(2, '0')}-01`;
    const to = `${YEAR}-${String(MONTH + 1).padStart(2, '0')}-01`;
    const period = periodOf(measuredTenant.timeZone, from, to);
    const previous = previousPeriod(period, measuredTenant.timeZone);
    const { filter, projection } = baselineQuery(measuredTenant, period, previous);
    const tickets = db.collection('tickets');
    const baseline = async (): Promise<number> => {
      let n = 0;
      for await (const doc of tickets.find(filter, { projection, batchSize: BATCH_SIZE })) if (doc) n++;
      return n;
    };
    const ctx = systemCtx(quiet, 'bench-report');
    let last: SlaReport | undefined;
    const report = async (): Promise<number> => {
      last = await slaReport(ctx, String(measuredTenant._id), { from, to });
      return last.totals.opened;
    };

    t = performance.now();
    const warm = { baseline: await measured(baseline, pid), report: await measured(report, pid) };
    out(
      `warm-up: baseline ${secs(warm.baseline.ms)} (${warm.baseline.docs} tickets read), report ${secs(warm.report.ms)} (${secs(performance.now() - t)} both)`,
    );
    const runs: { baseline: Run[]; report: Run[] } = { baseline: [], report: [] };
    for (let i = 0; i < REPS; i++) {
      const order = i % 2 ? (['report', 'baseline'] as const) : (['baseline', 'report'] as const);
      for (const side of order) runs[side].push(await measured(side === 'baseline' ? baseline : report, pid));
      out(
        `  round ${i + 1}: baseline ${secs(runs.baseline.at(-1)?.ms ?? NaN)}, report ${secs(runs.report.at(-1)?.ms ?? NaN)}`,
      );
    }

    const r = last as SlaReport;
    out();
    out(
      `report of ${measuredTenant.code} for ${period.key}: opened ${r.totals.opened}, resolved ${r.totals.resolved}, backlog ${r.totals.backlog}, ` +
        `${r.breaches.length} breaches, compliance ${r.compliance[0]?.firstResponse.pct} % / ${r.compliance[0]?.resolution.pct} %, ` +
        `times measured ${r.times.map((x) => x.count).join(' / ')}, ${r.trend.length} trend weeks`,
    );
    const base = median(runs.baseline.map((x) => x.ms));
    const rep = median(runs.report.map((x) => x.ms));
    const line = (xs: Run[]): string =>
      `p50 ${secs(median(xs.map((x) => x.ms)))} (min ${secs(Math.min(...xs.map((x) => x.ms)))}, max ${secs(Math.max(...xs.map((x) => x.ms)))}); ` +
      `CPU p50: bench ${secs(median(xs.map((x) => x.cpu)))}${pid ? `, engine ${secs(median(xs.map((x) => x.engineCpu)))}` : ''}; ` +
      `peak memory over start: RSS ${mb(Math.max(...xs.map((x) => x.rss)))}, heap ${mb(Math.max(...xs.map((x) => x.heap)))}`;
    out(`baseline (bare cursor, ${runs.baseline[0]?.docs} tickets): ${line(runs.baseline)}`);
    out(`report (slaReport):                    ${line(runs.report)}`);
    const ratio = rep / base;
    out(
      `ratio report / baseline: ${ratio.toFixed(2)}x; target <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}`,
    );
    out(
      `${pid ? `engine RSS at the end: ${mb(rssOf(pid))}; ` : ''}load average (1 min) ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} CPUs; whole run ${secs(performance.now() - started)}`,
    );
    failed = ratio > TARGET_RATIO;
  } finally {
    await mongoose.connection.dropDatabase().catch(() => undefined);
    await mongoose.disconnect().catch(() => undefined);
    await engine?.stop();
  }
  return failed ? 1 : 0;
}

runOnBackends(main, 'bench:report');
