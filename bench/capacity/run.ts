/**
 * Capacity of the embedded database: how the pages operators live on behave as the ticket count
 * grows, on the default engine (H2 backend, as `npm start` runs it), and what an idle portal costs.
 *
 *   npm run bench:capacity                                  # 20k, 40k, 80k, 160k tickets
 *   BENCH_QUICK=1 npm run bench:capacity                    # 20k and 40k, short phases
 *   BENCH_TICKETS=80000 BENCH_IDLE_SECONDS=60 npm run bench:capacity
 *   BENCH_OPEN_SHARE=1 npm run bench:capacity               # every copy stays open (default 0.25)
 *   BENCH_LOAD_SECONDS=0 npm run bench:capacity             # idle CPU only
 *
 * Per scale, a fresh portal process (server/main.ts, as `npm start` runs it: JOBS_ENABLED=true,
 * SEED_DEMO=true, a temp DATA_DIR, so a fresh H2 file), then, through the driver, copies of the
 * demo tickets up to the total (each with its "created" timeline entry and, when open, its row
 * in the SLA due list, as the domain leaves them); BENCH_OPEN_SHARE of the copies stay open, the
 * others are closed. Then:
 * - idle: CPU of the portal and the engine over BENCH_IDLE_SECONDS with nobody signed in;
 * - load: BENCH_OPERATORS operators (default 20) signed in through the login form, each loading
 *   /queues, a queue page, the ticket list and a ticket page in a loop for BENCH_LOAD_SECONDS;
 *   p50 and p95 per page. The capacity is the largest scale whose p95 stays under 0.5 s on every
 *   page. Engine heap: DEVDB_JAVA_OPTS passes through (e.g. -Xmx4g). Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, ObjectId, type Document } from 'mongodb';
import { DEMO_PASSWORD } from '../../server/seed/demo-data.js';
import { fromRoot } from '../../server/paths.js';
import { slaDueRowOf } from '../../server/domain/sla/due-list.js';
import { freePort, out, percentile, rng, runMain, sleep, sorted, startWatchdog } from '../support/harness.js';
import { signIn } from '../support/sign-in.js';
import { processCpuMs } from '../support/proc.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SCALES = (process.env.BENCH_TICKETS ?? (QUICK ? '20000,40000' : '20000,40000,80000,160000'))
  .split(',')
  .map((s) => Number(s.trim()));
const OPEN_SHARE = Number(process.env.BENCH_OPEN_SHARE ?? 0.25);
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 20);
const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? (QUICK ? 15 : 60));
const LOAD_S = Number(process.env.BENCH_LOAD_SECONDS ?? (QUICK ? 10 : 30));
const TARGET_MS = 500;
const BATCH = 2000;
const STAFF = ['marco@desk.example', 'lead@desk.example', 'admin@desk.example'];

startWatchdog(Number(process.env.BENCH_TIMEOUT_MS ?? 4 * 3600_000));

const load = (): string =>
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

interface Portal {
  child: ChildProcess;
  url: string;
  dataDir: string;
  output: () => string;
}

async function startPortal(): Promise<Portal> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-capacity-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    DATA_DIR: dataDir,
    JOBS_ENABLED: 'true',
    SEED_DEMO: 'true',
  };
  delete env.MONGODB_URI;
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PORTAL_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean),
      '--import',
      'tsx',
      fromRoot('server', 'main.ts'),
    ],
    {
      cwd: fromRoot(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`portal exited (${child.exitCode}):\n${text}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`portal not ready:\n${text}`);
    await sleep(250);
  }
  return { child, url, dataDir, output: () => text };
}

/** The engine the portal started on its data dir (its state file names port and pid). */
function engineOf(p: Portal): { pid: number; port: number } {
  return JSON.parse(readFileSync(join(p.dataDir, 'devdb.json'), 'utf8')) as { pid: number; port: number };
}

/** Copies of the demo tickets up to `total`, with their created entry and SLA due row. */
async function fill(client: MongoClient, total: number): Promise<{ total: number; open: number }> {
  const db = client.db('backoffice_desk');
  const tickets = db.collection('tickets');
  const demo = await tickets.find({}).toArray();
  const created = new Map(
    (await db.collection('timelineentries').find({ kind: 'created' }).toArray()).map((e) => [
      String(e.ticketId),
      e,
    ]),
  );
  const random = rng(13);
  let seq = 100_000;
  let made = demo.length;
  while (made < total) {
    const batch: Document[] = [];
    const entries: Document[] = [];
    const due: Document[] = [];
    for (let i = 0; i < BATCH && made < total; i++, made++) {
      const src = demo[made % demo.length] as Document;
      const code = String(src.number).split('-')[0];
      const _id = new ObjectId();
      const open = random() < OPEN_SHARE;
      const copy: Document = { ...src, _id, seq: ++seq, number: `${code}-${String(seq).padStart(6, '0')}` };
      if (!open)
        Object.assign(copy, {
          status: 'closed',
          closedAt: new Date(),
          sla: null,
          dueSortAt: new Date('9999-12-31T00:00:00Z'),
        });
      else if (!['new', 'open', 'pending'].includes(String(src.status))) copy.status = 'open';
      batch.push(copy);
      const entry = created.get(String(src._id));
      if (entry) entries.push({ ...entry, _id: new ObjectId(), ticketId: _id, key: `bench:${String(_id)}` });
      const row = open ? slaDueRowOf(copy as never) : null;
      if (row) due.push(row);
    }
    await tickets.insertMany(batch, { ordered: false });
    if (entries.length) await db.collection('timelineentries').insertMany(entries, { ordered: false });
    if (due.length) await db.collection('sladues').insertMany(due, { ordered: false });
  }
  const open = await tickets.countDocuments({ status: { $in: ['new', 'open', 'pending'] } });
  return { total: await tickets.estimatedDocumentCount(), open };
}

async function idleCpu(p: Portal, seconds: number): Promise<{ portal: number; engine: number }> {
  const engine = engineOf(p).pid;
  const [p0, e0] = [processCpuMs(p.child.pid), processCpuMs(engine)];
  await sleep(seconds * 1000);
  const [p1, e1] = [processCpuMs(p.child.pid), processCpuMs(engine)];
  return { portal: (p1 - p0) / (seconds * 10), engine: (e1 - e0) / (seconds * 10) };
}

type PageName = '/queues' | 'queue page' | 'ticket list' | 'ticket page';

async function operatorsLoad(
  p: Portal,
  client: MongoClient,
  seconds: number,
): Promise<Map<PageName, number[]>> {
  const db = client.db('backoffice_desk');
  const queue = await db.collection('queues').findOne({ active: { $ne: false } });
  const tickets = await db
    .collection('tickets')
    .find({ status: { $in: ['new', 'open', 'pending'] } }, { projection: { number: 1 } })
    .limit(200)
    .toArray();
  const pages: Array<[PageName, string]> = [
    ['/queues', '/queues'],
    ['queue page', `/queues/${String(queue?._id)}`],
    ['ticket list', '/tickets'],
  ];
  const times = new Map<PageName, number[]>([
    ...pages.map(([n]) => [n, []] as [PageName, number[]]),
    ['ticket page', []],
  ]);
  const cookies = await Promise.all(
    Array.from({ length: OPERATORS }, (_, i) =>
      signIn(p.url, STAFF[i % STAFF.length] as string, DEMO_PASSWORD),
    ),
  );
  const end = Date.now() + seconds * 1000;
  let failures = 0;
  await Promise.all(
    cookies.map(async (cookie, i) => {
      let n = i;
      while (Date.now() < end) {
        const ticket = tickets[n++ % tickets.length];
        for (const [name, path] of [
          ...pages,
          ['ticket page', `/tickets/${String(ticket?.number)}`] as [PageName, string],
        ]) {
          const started = performance.now();
          const res = await fetch(`${p.url}${path}`, { headers: { cookie }, redirect: 'manual' });
          await res.arrayBuffer();
          if (res.status !== 200) failures++;
          times.get(name)?.push(performance.now() - started);
        }
      }
    }),
  );
  if (failures) out(`  ${failures} page loads did not answer 200`);
  return times;
}

async function stopPortal(p: Portal): Promise<void> {
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
  const engine = (() => {
    try {
      return engineOf(p).pid;
    } catch {
      return 0;
    }
  })();
  if (engine) {
    try {
      process.kill(engine, 'SIGTERM');
    } catch {
      // stopped with the portal
    }
  }
  await sleep(1000);
  rmSync(p.dataDir, { recursive: true, force: true });
}

const ms = (xs: number[], p: number): string => `${percentile(sorted(xs), p).toFixed(0)} ms`;

async function main(): Promise<number> {
  out(
    `bench:capacity  scales=${SCALES.join(',')} open share of copies=${OPEN_SHARE} operators=${OPERATORS} idle=${IDLE_S}s load=${LOAD_S}s engine: H2 (npm start), DEVDB_JAVA_OPTS=${process.env.DEVDB_JAVA_OPTS ?? ''}  ${load()}`,
  );
  const table: string[] = [];
  let capacity: { total: number; open: number } | null = null;
  for (const scale of SCALES) {
    const portal = await startPortal();
    const client = await MongoClient.connect(`mongodb://127.0.0.1:${engineOf(portal).port}/`);
    try {
      const started = Date.now();
      const size = await fill(client, scale);
      out(
        `${size.total} tickets (${size.open} open): filled in ${((Date.now() - started) / 1000).toFixed(0)} s  ${load()}`,
      );
      await sleep(10_000);
      const idle = await idleCpu(portal, IDLE_S);
      out(
        `  idle ${IDLE_S} s: portal ${idle.portal.toFixed(1)} % of a core, engine ${idle.engine.toFixed(1)} %  ${load()}`,
      );
      if (!LOAD_S) continue;
      const engine = engineOf(portal).pid;
      const cpu0 = [processCpuMs(portal.child.pid), processCpuMs(engine)];
      const loadStarted = Date.now();
      const times = await operatorsLoad(portal, client, LOAD_S);
      // Over the whole phase: the last page loads may end well after LOAD_S.
      const loadMs = Date.now() - loadStarted;
      const busy = (i: number, pid: number | undefined) =>
        ((100 * (processCpuMs(pid) - (cpu0[i] as number))) / loadMs).toFixed(0);
      out(`  under load: portal ${busy(0, portal.child.pid)} % of a core, engine ${busy(1, engine)} %`);
      let ok = true;
      const cells: string[] = [];
      for (const [name, xs] of times) {
        const p95 = percentile(sorted(xs), 95);
        if (!(p95 < TARGET_MS)) ok = false;
        out(
          `  ${name.padEnd(12)} n=${String(xs.length).padStart(5)}  p50 ${ms(xs, 50)}  p95 ${ms(xs, 95)}  max ${ms(xs, 100)}`,
        );
        cells.push(`${ms(xs, 95)}`);
      }
      table.push(
        `| ${size.total} | ${size.open} | ${cells.join(' | ')} | ${idle.engine.toFixed(1)} % + ${idle.portal.toFixed(1)} % | ${ok ? 'yes' : 'no'} |`,
      );
      if (ok && (!capacity || size.total > capacity.total)) capacity = size;
      out(`  ${load()}`);
    } finally {
      await client.close();
      await stopPortal(portal);
    }
  }
  out();
  out(
    '| tickets | open | /queues p95 | queue page p95 | ticket list p95 | ticket page p95 | idle CPU engine + portal | all p95 < 0.5 s |',
  );
  out('|---|---|---|---|---|---|---|---|');
  for (const row of table) out(row);
  out();
  out(
    capacity
      ? `capacity: ${capacity.total} tickets (${capacity.open} open) with ${OPERATORS} operators`
      : 'capacity: below the smallest scale',
  );
  return 0;
}

runMain(main, 'bench:capacity');
