/**
 * Workspace benchmark: 50 operators working at once, each through the portal's pages as a browser
 * would (session cookie, CSRF token), in a loop: open the queue, "Get next", the ticket page it
 * leads to, a reply with a text that also resolves the ticket (the composer's JSON path, one
 * step), and the home page. Against it, in the same run on the same database, a bare `find` of
 * the same queue's first page (the queue's own filter, sort and page size, straight on the
 * driver), by as many callers at once.
 *
 *   npm run bench:workspace                                  # 20 000 open tickets, both backends
 *   BENCH_TICKETS=100000 BENCH_BACKEND=h2 npm run bench:workspace
 *   BENCH_SECONDS=20 BENCH_OPERATORS=20 npm run bench:workspace
 *   BENCH_PROFILE=1 npm run bench:workspace                  # + the database commands, by time
 *
 * In this process: the embedded engine (BENCH_BACKEND: memory, h2 or both, see
 * bench/support/backend.ts) and the portal (PORT 0, loopback, no jobs). 20 clients share the
 * open tickets (new or open, unassigned, varied priorities and deadlines; each with its "created"
 * timeline entry); the operators serve all of them and work one queue of every client's tickets,
 * ordered by SLA. Timing: the time from sending the request to the last byte of the answer, on
 * loopback (the pages are rendered and sent by this same process, so that is the server's time
 * plus the client's small share). Phases: baseline, workspace, baseline again (the baseline's
 * figures are both halves together, so a drift of the machine's load shows in neither alone).
 * Target: the p95 of every page and action within 3x the baseline's p95.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import mongoose, { Types, type AnyBulkWriteOperation } from 'mongoose';
import { pino } from 'pino';
import { Queue } from '../../models/queue.js';
import { Tenant } from '../../models/tenant.js';
import { Ticket } from '../../models/ticket.js';
import { TimelineEntry } from '../../models/timeline-entry.js';
import { User } from '../../models/user.js';
import { startPortal } from '../../server/boot.js';
import { loadConfig } from '../../server/config/config.js';
import { hashPassword } from '../../server/domain/auth/passwords.js';
import { makeCtx, type Ctx } from '../../server/domain/context.js';
import { queueFilter, sortOf } from '../../server/domain/queues/filter.js';
import { createQueue, queueInputSchema } from '../../server/domain/queues/queues.js';
import { QUEUE_PAGE } from '../../server/domain/queues/views.js';
import { createTicket } from '../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../server/domain/tickets/schemas.js';
import { runOnBackends, startBenchEngine } from '../support/backend.js';
import { commandLine, commandProfile, out, percentile, sorted, startWatchdog } from '../support/harness.js';
import { engineCpuMs, ownCpuMs } from '../support/proc.js';
import { csrfIn, signIn } from '../support/sign-in.js';

const TICKETS = Number(process.env.BENCH_TICKETS ?? 20_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const PROFILE = process.env.BENCH_PROFILE === '1';
const TARGET = 3;
const PASSWORD = 'bench-workspace-password';
const BATCH = 2000;

startWatchdog(Number(process.env.BENCH_TIMEOUT_MS ?? 60 * 60_000));

const load = (): string =>
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

type Step = 'queue page' | 'get next' | 'ticket page' | 'reply + resolve' | 'home page';
const steps: Step[] = ['queue page', 'get next', 'ticket page', 'reply + resolve', 'home page'];

/** One operator's browser: the session cookie and the form token its pages carry. */
interface Browser {
  cookie: string;
  csrf: string;
}

async function openBrowser(url: string, email: string): Promise<Browser> {
  const session = await signIn(url, email, PASSWORD);
  // The form token from a page that reads no tickets (the layout's sign-out form carries it): at
  // 100 000 tickets, 50 home pages at once would be 50 scans before the run even starts.
  const page403 = await fetch(`${url}/tickets/new`, { headers: { cookie: session } });
  const csrfToken = csrfIn(await page403.text());
  if (!csrfToken) throw new Error(`no form token for ${email}`);
  return { cookie: session, csrf: csrfToken };
}

interface Seeded {
  tenants: Array<{ _id: Types.ObjectId; code: string }>;
  operators: string[];
  queueId: string;
  ctxOf: (email: string) => Ctx;
}

const complaint = (subject: string) =>
  ticketInputSchema.parse({
    type: 'complaint',
    subject,
    description: 'Created by bench/workspace.',
    priority: 'normal',
    fields: {
      customerName: 'Mario Rossi',
      customerReference: 'ORD-0',
      channel: 'phone',
      category: 'Delivery',
      severity: 'medium',
    },
  });

/**
 * 20 clients, one client user each, `OPERATORS` operators serving all of them, one queue of every
 * client's tickets (SLA order), and `TICKETS` open tickets: one per client created through the
 * domain, the rest copies of it inserted in bulk with their "created" entries.
 */
// Long function: the bench's fixture, one step after the other.
async function seed(log: pino.Logger): Promise<Seeded> {
  const passwordHash = await hashPassword(PASSWORD);
  const tenants: Array<{ _id: Types.ObjectId; code: string }> = [];
  const shapes: Array<Record<string, unknown>> = [];
  const entryShapes: Array<Record<string, unknown>> = [];
  const ctxFor = (user: InstanceType<typeof User>, tenantId: string | null, tenantIds: string[]): Ctx =>
    makeCtx({
      tenantId,
      actor: {
        kind: 'user',
        userId: String(user._id),
        email: user.email,
        name: user.name,
        role: user.role,
        tenantId,
        tenantIds,
        locale: 'en',
      },
      requestId: 'bench',
      log,
    });
  for (let c = 0; c < CLIENTS; c++) {
    const code = `c${String(c).padStart(2, '0')}`;
    const tenant = await Tenant.create({
      code,
      legalName: `Client ${c} S.p.A.`,
      timeZone: c % 2 ? 'Europe/Copenhagen' : 'Europe/Rome',
      locale: (['it', 'da', 'en'] as const)[c % 3],
    });
    const client = await User.create({
      email: `user@${code}.example`,
      name: `Client user ${c}`,
      role: 'client_user',
      tenantId: tenant._id,
      status: 'active',
      passwordHash,
    });
    const first = await createTicket(
      ctxFor(client, String(tenant._id), [String(tenant._id)]),
      complaint(`Bench ticket ${code} 0`),
      'portal',
    );
    const entry = await TimelineEntry.findOne({ tenantId: tenant._id, ticketId: first._id, kind: 'created' })
      .lean()
      .orFail();
    tenants.push({ _id: tenant._id, code });
    shapes.push(first as unknown as Record<string, unknown>);
    entryShapes.push(entry as unknown as Record<string, unknown>);
  }
  const tenantIds = tenants.map((t) => String(t._id));
  const operators: string[] = [];
  const users = new Map<string, InstanceType<typeof User>>();
  for (let i = 0; i < OPERATORS; i++) {
    const u = await User.create({
      email: `op${i}@desk.example`,
      name: `Operator ${i}`,
      role: 'operator',
      tenantIds: tenants.map((t) => t._id),
      status: 'active',
      passwordHash,
    });
    operators.push(u.email);
    users.set(u.email, u);
  }
  const lead = await User.create({
    email: 'lead@desk.example',
    name: 'Lead',
    role: 'team_lead',
    tenantIds: tenants.map((t) => t._id),
    status: 'active',
    passwordHash,
  });
  const queue = await createQueue(
    ctxFor(lead, null, tenantIds),
    queueInputSchema.parse({ name: 'Every client', order: 'sla' }),
  );

  // The copies: numbers per client, priorities and deadlines spread so the sort has work to do.
  const ranks = ['urgent', 'high', 'normal', 'low'] as const;
  const now = Date.now();
  let made = CLIENTS;
  while (made < TICKETS) {
    const tickets: Array<Record<string, unknown>> = [];
    const entries: AnyBulkWriteOperation[] = [];
    for (let k = 0; k < BATCH && made < TICKETS; k++, made++) {
      const c = made % CLIENTS;
      const n = Math.floor(made / CLIENTS) + 1;
      const { _id: _t, ...shape } = shapes[c] as Record<string, unknown>;
      const { _id: _e, ...entryShape } = entryShapes[c] as Record<string, unknown>;
      const _id = new Types.ObjectId();
      const at = new Date(now - made * 1000);
      tickets.push({
        ...shape,
        _id,
        number: `${(tenants[c] as { code: string }).code.toUpperCase()}-B${String(n).padStart(6, '0')}`,
        seq: 1_000_000 + n,
        subject: `Bench ticket ${made}`,
        status: made % 3 ? 'new' : 'open',
        priority: ranks[made % 4],
        priorityRank: made % 4,
        dueSortAt: new Date(now + ((made * 7919) % 50_000) * 60_000),
        createdAt: at,
        updatedAt: at,
        lastActivityAt: at,
      });
      entries.push({
        insertOne: {
          document: {
            ...entryShape,
            _id: new Types.ObjectId(),
            key: `created:${String(_id)}`,
            ticketId: _id,
            at,
          },
        },
      });
    }
    await Ticket.collection.insertMany(tickets);
    await TimelineEntry.bulkWrite(entries, { ordered: false });
  }
  return {
    tenants,
    operators,
    queueId: String(queue._id),
    ctxOf: (email) => ctxFor(users.get(email) as InstanceType<typeof User>, null, tenantIds),
  };
}

type Times = Map<Step | 'baseline find', number[]>;

/** Calls `work` in a loop from `callers` callers at once until `seconds` have passed. */
async function during(seconds: number, callers: number, work: (i: number) => Promise<void>) {
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      while (Date.now() < end) await work(i);
    }),
  );
}

/** Steps that threw (the driver gave up on the engine, a refused request): counted, not timed. */
const errors = new Map<string, { n: number; first: string }>();

async function timed(times: Times, step: Step | 'baseline find', run: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  try {
    await run();
  } catch (err) {
    const seen = errors.get(step) ?? { n: 0, first: err instanceof Error ? err.message : String(err) };
    seen.n++;
    errors.set(step, seen);
    return;
  }
  times.get(step)?.push(performance.now() - t0);
}

// Long function: one operator's round, step after step, each timed and checked.
async function operatorRound(
  url: string,
  b: Browser,
  queueId: string,
  times: Times,
  fail: (why: string) => void,
) {
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, { headers: { cookie: b.cookie }, redirect: 'manual' });
    const text = await res.text();
    if (res.status !== 200) fail(`GET ${path}: ${res.status}`);
    return text;
  };
  await timed(times, 'queue page', async () => {
    await get(`/queues/${queueId}`);
  });
  let number = '';
  await timed(times, 'get next', async () => {
    const res = await fetch(`${url}/queues/${queueId}/next`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: b.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: b.csrf }).toString(),
    });
    await res.arrayBuffer();
    number = /^\/tickets\/([^/?#]+)$/.exec(res.headers.get('location') ?? '')?.[1] ?? '';
    if (res.status !== 302 || !number) fail(`get next: ${res.status} ${res.headers.get('location')}`);
  });
  if (!number) return;
  let seenAt = '';
  await timed(times, 'ticket page', async () => {
    const html = await get(`/tickets/${number}`);
    seenAt = /name="seenAt" value="([^"]*)"/.exec(html)?.[1] ?? '';
  });
  await timed(times, 'reply + resolve', async () => {
    const form = new FormData();
    form.append('_csrf', b.csrf);
    form.append('seenAt', seenAt);
    form.append('body', `Registered in the client's system, reference ${number}. Closing this one.`);
    form.append('then', 'resolved');
    const res = await fetch(`${url}/tickets/${number}/replies`, {
      method: 'POST',
      headers: { cookie: b.cookie, accept: 'application/json', 'x-csrf-token': b.csrf },
      body: form,
    });
    const answer = (await res.json()) as { ok?: boolean; statusChange?: { done?: boolean } };
    if (res.status !== 200 || !answer.ok || !answer.statusChange?.done)
      fail(`reply + resolve ${number}: ${res.status} ${JSON.stringify(answer).slice(0, 200)}`);
  });
  await timed(times, 'home page', async () => {
    await get('/');
  });
}

const fmt = (xs: number[], p: number): string => `${percentile(sorted(xs), p).toFixed(0).padStart(5)} ms`;

// Long function: the run and its report, in order.
async function main(): Promise<number> {
  const quiet = pino({ level: 'error' });
  out(
    `bench:workspace  open tickets=${TICKETS} clients=${CLIENTS} operators=${OPERATORS} phase=${SECONDS}s  ${load()}`,
  );
  const engine = await startBenchEngine('bench_workspace', quiet);
  const config = loadConfig({
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PORT: '0',
    MONGODB_URI: PROFILE ? `${engine.uri}?monitorCommands=true` : engine.uri,
    JOBS_ENABLED: 'false',
    SEED_DEMO: 'false',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
  });
  const portal = await startPortal(config, pino({ level: config.logLevel }));
  let failed = false;
  try {
    const url = portal.url;
    const seedStarted = Date.now();
    const seeded = await seed(quiet);
    out(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s (${engine.backend})  ${load()}`);
    const browsers: Browser[] = [];
    for (const email of seeded.operators) browsers.push(await openBrowser(url, email));

    // The baseline: the queue's first page as its filter, sort and size say, bare on the driver.
    const queue = await Queue.findById(seeded.queueId).lean().orFail();
    const ctx = seeded.ctxOf(seeded.operators[0] as string);
    const times: Times = new Map([...steps, 'baseline find' as const].map((s) => [s, []]));
    const bareFind = () =>
      Ticket.collection.find(queueFilter(ctx, queue)).sort(sortOf[queue.order]).limit(QUEUE_PAGE).toArray();
    const baseline = () =>
      during(SECONDS / 2, OPERATORS, () =>
        timed(times, 'baseline find', async () => {
          await bareFind();
        }),
      );
    // What one scan costs with nobody else waiting: the floor every queue read stands on.
    const alone: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      await bareFind();
      alone.push(performance.now() - t0);
    }
    out(`one bare find alone: p50 ${fmt(alone, 50).trim()} (nobody else waiting)  ${load()}`);
    await baseline();

    const failures: string[] = [];
    const commands = commandProfile(mongoose.connection.getClient());
    if (PROFILE) commands.start();
    const cpu0 = { own: ownCpuMs(), engine: engineCpuMs(), at: Date.now() };
    await during(SECONDS, OPERATORS, (i) =>
      operatorRound(url, browsers[i] as Browser, seeded.queueId, times, (why) => {
        failures.push(why);
      }),
    );
    const spent = Date.now() - cpu0.at;
    const cpu = {
      portal: (100 * (ownCpuMs() - cpu0.own)) / spent,
      engine: (100 * (engineCpuMs() - cpu0.engine)) / spent,
    };
    if (PROFILE) commands.stop();
    await baseline();

    const base = times.get('baseline find') ?? [];
    const baseP95 = percentile(sorted(base), 95);
    out();
    out(
      `${'baseline find'.padEnd(16)} n=${String(base.length).padStart(6)}  p50 ${fmt(base, 50)}  p95 ${fmt(base, 95)}   (the queue's first ${QUEUE_PAGE} rows, ${OPERATORS} callers)`,
    );
    const rows: string[] = [];
    for (const step of steps) {
      const xs = times.get(step) ?? [];
      const ratio = percentile(sorted(xs), 95) / baseP95;
      const ok = ratio <= TARGET;
      if (!ok) failed = true;
      out(
        `${step.padEnd(16)} n=${String(xs.length).padStart(6)}  p50 ${fmt(xs, 50)}  p95 ${fmt(xs, 95)}   p95 / baseline p95 ${ratio.toFixed(2)}x ${ok ? 'ok' : `OVER ${TARGET}x`}`,
      );
      rows.push(`| ${step} | ${fmt(xs, 50).trim()} | ${fmt(xs, 95).trim()} | ${ratio.toFixed(2)}x |`);
    }
    const resolved = await Ticket.countDocuments({
      tenantId: { $in: seeded.tenants.map((t) => t._id) },
      status: 'resolved',
    });
    out(
      `resolved during the run: ${resolved}; CPU during the workspace phase: portal (this process) ${cpu.portal.toFixed(0)} % of a core, engine ${cpu.engine.toFixed(0)} %  ${load()}`,
    );
    for (const [step, e] of errors) {
      failed = true;
      out(`${step}: ${e.n} failed, e.g. ${e.first.slice(0, 160)}`);
    }
    if (failures.length) {
      failed = true;
      out(`${failures.length} failed steps, e.g. ${failures.slice(0, 3).join('; ')}`);
    }
    out();
    out(`| ${engine.backend}, ${TICKETS} open | p50 | p95 | p95 vs baseline |`);
    out('|---|---|---|---|');
    out(`| baseline find | ${fmt(base, 50).trim()} | ${fmt(base, 95).trim()} | 1x |`);
    for (const row of rows) out(row);
    if (PROFILE) {
      const list = commands.rows();
      const total = list.reduce((sum, [, r]) => sum + r.ms, 0);
      out();
      out(
        `database commands during the workspace phase (client-side, waiting in the engine included; total ${total.toFixed(0)} ms):`,
      );
      for (const [key, r] of list.slice(0, 15)) out(commandLine(key, r, 34, 6));
    }
  } finally {
    await portal.stop();
    await engine.stop();
  }
  return failed ? 1 : 0;
}

runOnBackends(main, 'bench:workspace');
