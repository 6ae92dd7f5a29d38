/**
 * SLA sweep benchmark: how late are breach records when 1 000 deadlines fall in the same minute
 * among 10 000 and 100 000 open tickets? Against a bare polling loop on the same database.
 *
 *   npm run bench:sla                                   # 10 000 and 100 000 open tickets, sweep every 5 s
 *   BENCH_SCALES=100000 BENCH_SWEEP_SECONDS=2 npm run bench:sla
 *   BENCH_WINDOW_SECONDS=1 npm run bench:sla            # the 1 000 deadlines within one second instead
 *   BENCH_PROFILE=1 npm run bench:sla                   # also: the portal's database commands during the window
 *
 * In this process: the embedded engine (BENCH_BACKEND: memory, h2 or both, bench/support/backend.ts;
 * a child process; its heap raised with
 * DEVDB_JAVA_OPTS=-Xmx3g unless DEVDB_JAVA_OPTS is set) and, per scale, in a database of its own:
 * - the world: 20 client tenants (5 open 24x7, the others on weekly business hours in two time
 *   zones, with holidays), their calendars and SLA policies (two versions for some, escalation
 *   options), 60 operators, 6 team leads, client users;
 * - N open tickets built as the domain would leave them: mongoose-defaulted documents whose `sla`
 *   clock comes from the clock functions (startClock, firstResponded, pause, and `recorded` for
 *   events that would have been swept already), inserted with insertMany in batches. N - 1000 of
 *   them have their next SLA event well after the run; 1 000, on the 24x7 tenants and assigned to
 *   operators, have a breach (first response or resolution) spread evenly over one minute;
 * - baseline: a copy of those tickets in a plain collection (its own 1 000 deadlines in a later
 *   minute) and a bare polling loop at the same interval: one query for what came due since the
 *   last poll, one insertOne per breach into a plain collection with a unique _id;
 * - portal: the real portal (startPortal, JOBS_ENABLED=true, SLA_SWEEP_SECONDS=BENCH_SWEEP_SECONDS,
 *   mail through the outbox to nodemailer's JSON transport), whose agenda job `sla.sweep` records
 *   the breaches, with timeline entries, mail and escalation, as in production.
 * Prints, per scale and side, the lateness of every breach record (recordedAt - dueAt) p50, p99
 * and max, duplicates and misses (both must be 0), and for the portal the sweep runs (count,
 * duration) and the target: p99 within the sweep interval + 1 s. Exits non-zero on a duplicate or
 * a miss, or when the run took longer than BENCH_TIMEOUT_MS. Loopback only; stops by itself.
 */
import { randomBytes } from 'node:crypto';
import type { Job } from 'agenda';
import mongoose, { type Types } from 'mongoose';
import { pino } from 'pino';
import { MailKey } from '../../models/mail-key.js';
import { OutboxMail } from '../../models/outbox-mail.js';
import { SentMail } from '../../models/sent-mail.js';
import { SlaCalendar } from '../../models/sla-calendar.js';
import { SlaDue } from '../../models/sla-due.js';
import { SlaEvent } from '../../models/sla-event.js';
import { SlaPolicy } from '../../models/sla-policy.js';
import { Tenant } from '../../models/tenant.js';
import {
  Ticket,
  priorities,
  priorityRank,
  ticketTypes,
  type Priority,
  type TicketType,
} from '../../models/ticket.js';
import { TimelineEntry } from '../../models/timeline-entry.js';
import { User } from '../../models/user.js';
import { SLA_SWEEP_JOB } from '../../jobs/sla-sweep.js';
import { startPortal } from '../../server/boot.js';
import { loadConfig } from '../../server/config/config.js';
import { benchBackend, runOnBackends, startBenchEngine } from '../support/backend.js';
import type { BusinessCalendar } from '../../server/domain/sla/business-time.js';
import {
  dueEvents,
  firstResponded,
  nextDeadline,
  pause,
  recorded,
  startClock,
  type SlaClock,
} from '../../server/domain/sla/clock.js';
import { targetFor, toBusinessCalendar, type PolicyDoc } from '../../server/domain/sla/contract-store.js';
import { slaDueRowOf } from '../../server/domain/sla/due-list.js';
import { NO_DEADLINE } from '../../server/domain/sla/ticket-clock.js';
import {
  commandLine,
  commandProfile,
  out,
  rng,
  secs,
  sleep,
  spread,
  startWatchdog,
} from '../support/harness.js';
import { engineCpuMs, ownCpuMs } from '../support/proc.js';

const SCALES = (process.env.BENCH_SCALES ?? '10000,100000').split(',').map((s) => Number(s.trim()));
const DUE = Number(process.env.BENCH_DUE ?? 1000);
/** The deadlines are spread evenly over this many seconds. */
const WINDOW_S = Number(process.env.BENCH_WINDOW_SECONDS ?? 60);
/** SLA_SWEEP_SECONDS of the portal, and the baseline's poll interval (the production default is 5). */
const SWEEP_S = Number(process.env.BENCH_SWEEP_SECONDS ?? 5);
/** From the end of the set-up to the first deadline. */
const LEAD_MS = Number(process.env.BENCH_LEAD_MS ?? 8000);
/** How long after the last deadline a side may still record (then the rest count as misses). */
const TAIL_MS = Number(process.env.BENCH_TAIL_MS ?? Math.max(60_000, 10 * SWEEP_S * 1000));
const INSERT_BATCH = 5000;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000);
const PROFILE = process.env.BENCH_PROFILE === '1';
const TENANTS = 20;
const ALWAYS_OPEN = 5;
const OPERATORS = 60;
const LEADS = 6;

startWatchdog(TIMEOUT_MS);

const stats = (values: number[]): string => {
  const s = spread(values);
  return `p50 ${secs(s.p50)}, p99 ${secs(s.p99)}, max ${secs(s.max)}`;
};

const msStats = (values: number[]): string => {
  const s = spread(values);
  return `p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms`;
};

// ---------------------------------------------------------------------------------------------
// The world.

interface TenantInfo {
  _id: Types.ObjectId;
  code: string;
  calendar: BusinessCalendar;
  policies: PolicyDoc[];
  operators: Array<{ _id: Types.ObjectId; name: string; email: string }>;
  clients: Array<{ _id: Types.ObjectId; name: string; email: string }>;
}

/** Targets in minutes per priority (first response, resolution); invoices get 1.5x. */
const TARGET_MINUTES: Record<Priority, [number, number]> = {
  urgent: [30, 240],
  high: [60, 480],
  normal: [240, 1440],
  low: [480, 2880],
};

async function buildWorld(): Promise<TenantInfo[]> {
  const tenants = await Tenant.insertMany(
    Array.from({ length: TENANTS }, (_, i) => ({
      code: `client${String(i).padStart(2, '0')}`,
      legalName: `Client ${i} S.p.A.`,
      timeZone: i % 2 ? 'Europe/Copenhagen' : 'Europe/Rome',
      locale: (['it', 'da', 'en'] as const)[i % 3],
    })),
  );
  const holidays = [
    '2026-01-01',
    '2026-01-06',
    '2026-04-06',
    '2026-04-25',
    '2026-05-01',
    '2026-06-02',
    '2026-08-15',
    '2026-11-01',
    '2026-12-08',
    '2026-12-25',
    '2026-12-26',
  ].map((date) => ({ date, name: 'Holiday' }));
  const infos: TenantInfo[] = [];
  const staff = [];
  for (let k = 0; k < LEADS; k++) {
    // Every tenant is served by two leads.
    const served = tenants.filter((_, i) => i % LEADS === k || (i + 1) % LEADS === k).map((t) => t._id);
    staff.push({
      email: `lead${k}@desk.example`,
      name: `Lead ${k}`,
      role: 'team_lead',
      tenantId: null,
      tenantIds: served,
      status: 'active',
      locale: 'en',
    });
  }
  for (let j = 0; j < OPERATORS; j++) {
    const served = [j % TENANTS, (j + 7) % TENANTS, (j + 13) % TENANTS].map(
      (i) => (tenants[i] as (typeof tenants)[number])._id,
    );
    staff.push({
      email: `op${j}@desk.example`,
      name: `Operator ${j}`,
      role: 'operator',
      tenantId: null,
      tenantIds: served,
      status: j % 17 === 16 ? 'disabled' : 'active',
      locale: j % 2 ? 'it' : null,
    });
  }
  staff.push({
    email: 'am@desk.example',
    name: 'Account manager',
    role: 'account_manager',
    tenantId: null,
    tenantIds: tenants.map((t) => t._id),
    status: 'active',
    locale: 'en',
  });
  staff.push({
    email: 'admin@desk.example',
    name: 'Admin',
    role: 'admin',
    tenantId: null,
    tenantIds: [],
    status: 'active',
    locale: 'en',
  });
  const clients = tenants.flatMap((t, i) =>
    [0, 1, 2].map((c) => ({
      email: `user${c}@client${i}.example`,
      name: `Client ${i} user ${c}`,
      role: c ? 'client_user' : 'client_admin',
      tenantId: t._id,
      tenantIds: [],
      status: 'active',
      locale: null,
    })),
  );
  const users = await User.insertMany([...staff, ...clients]);
  for (const [i, tenant] of tenants.entries()) {
    const open = i < ALWAYS_OPEN;
    const weekly = open
      ? []
      : i % 2
        ? [1, 2, 3, 4, 5].flatMap((day) => [
            { day, from: '08:00', to: '12:00' },
            { day, from: '12:30', to: '16:00' },
          ])
        : [1, 2, 3, 4, 5].map((day) => ({ day, from: '09:00', to: '18:00' }));
    const calendarDoc = await SlaCalendar.create({
      tenantId: tenant._id,
      name: open ? 'Always' : 'Office hours',
      timeZone: tenant.timeZone,
      alwaysOpen: open,
      weekly,
      holidays: open ? [] : holidays,
      closures: [],
    });
    const versions = i % 5 === 0 ? [1, 2] : [1];
    const policies: PolicyDoc[] = [];
    for (const version of versions) {
      const policy = await SlaPolicy.create({
        tenantId: tenant._id,
        version,
        calendarId: calendarDoc._id,
        targets: ticketTypes.flatMap((type) =>
          priorities.map((priority) => {
            const [fr, res] = TARGET_MINUTES[priority];
            const f = (type === 'invoice' ? 1.5 : 1) * (version === 2 ? 0.8 : 1);
            return {
              type,
              priority,
              firstResponseMinutes: Math.round(fr * f),
              resolutionMinutes: Math.round(res * f),
            };
          }),
        ),
        warnAt: [75, 90],
        escalation: { raisePriority: i % 3 === 0 || i < ALWAYS_OPEN, notifyClient: i % 4 === 0 },
        createdBy: { id: null, name: 'bench' },
      });
      policies.push(policy.toObject() as PolicyDoc);
    }
    const person = (u: (typeof users)[number]) => ({ _id: u._id, name: u.name, email: u.email });
    infos.push({
      _id: tenant._id,
      code: tenant.code,
      calendar: toBusinessCalendar(calendarDoc.toObject()),
      policies,
      operators: users
        .filter((u) => u.role === 'operator' && u.tenantIds.some((id) => id.equals(tenant._id)))
        .map(person),
      clients: users.filter((u) => u.tenantId?.equals(tenant._id)).map(person),
    });
  }
  return infos;
}

// ---------------------------------------------------------------------------------------------
// Tickets, as the domain leaves them.

type TicketDoc = Record<string, unknown> & { _id: Types.ObjectId; sla: SlaClock };

function ticketDoc(
  tenant: TenantInfo,
  seq: number,
  spec: {
    type: TicketType;
    priority: Priority;
    status: 'new' | 'open' | 'pending';
    start: Date;
    assignee: TenantInfo['operators'][number] | null;
    requester: TenantInfo['clients'][number];
    sla: SlaClock;
    firstResponseAt: Date | null;
  },
): TicketDoc {
  const number = `${tenant.code.toUpperCase()}-${String(seq).padStart(6, '0')}`;
  const subject = `${spec.type === 'invoice' ? 'Invoice' : spec.type === 'complaint' ? 'Complaint' : 'Batch'} ${seq}`;
  const fields =
    spec.type === 'invoice'
      ? {
          supplierName: 'Nordic Paper A/S',
          supplierVat: 'DK12345674',
          invoiceNumber: `B-${seq}`,
          issueDate: '2026-03-02',
          dueDate: '2026-04-01',
          amount: 1250.5,
          currency: 'EUR',
        }
      : spec.type === 'complaint'
        ? {
            customerName: 'Mario Rossi',
            customerReference: `ORD-${seq}`,
            channel: 'phone',
            category: 'Delivery',
            severity: 'medium',
          }
        : { batchDescription: `Batch ${seq}`, targetSystem: 'SAP', expectedRecordCount: 100 + (seq % 900) };
  return new Ticket({
    tenantId: tenant._id,
    number,
    seq,
    type: spec.type,
    subject,
    description: 'Created by bench/sla.',
    priority: spec.priority,
    priorityRank: priorityRank[spec.priority],
    status: spec.status,
    channel: (['portal', 'api', 'email'] as const)[seq % 3],
    requester: { id: spec.requester._id, name: spec.requester.name, email: spec.requester.email },
    assignee: spec.assignee
      ? { id: spec.assignee._id, name: spec.assignee.name, email: spec.assignee.email }
      : null,
    assignedAt: spec.assignee ? spec.start : null,
    sla: spec.sla,
    dueSortAt: nextDeadline(spec.sla) ?? NO_DEADLINE,
    tags: seq % 4 ? [] : ['bench'],
    fields,
    searchText: `${number} ${subject}`.toLowerCase(),
    firstResponseAt: spec.firstResponseAt,
    openedAt: spec.status === 'new' ? null : spec.start,
    pendingAt: spec.status === 'pending' ? spec.start : null,
    lastActivityAt: spec.start,
    createdAt: spec.start,
    updatedAt: spec.start,
  }).toObject() as TicketDoc;
}

const pick = <T>(items: readonly T[], r: number): T =>
  items[Math.floor(r * items.length) % items.length] as T;

/**
 * Tickets opened over the last three days whose next SLA event is after `horizon`: every event
 * due before it is marked recorded (as the sweep would have left them), so none comes due during
 * the run.
 */
function backgroundTickets(
  world: TenantInfo[],
  count: number,
  now: Date,
  horizon: Date,
  seqStart: number,
): TicketDoc[] {
  const random = rng(count);
  const docs: TicketDoc[] = [];
  for (let i = 0; i < count; i++) {
    const tenant = pick(world, random());
    const policy = pick(tenant.policies, random());
    const type = pick(ticketTypes, random());
    const priority = pick(priorities, random());
    const targets = targetFor(policy, type, priority);
    if (!targets) throw new Error('no targets');
    const start = new Date(now.getTime() - Math.floor(random() * 3 * 86_400_000));
    const roll = random();
    const status = roll < 0.15 ? 'new' : roll < 0.3 ? 'pending' : 'open';
    let sla = startClock(tenant.calendar, targets, policy.version, policy.warnAt ?? [75, 90], start);
    let firstResponseAt: Date | null = null;
    if (status !== 'new' && random() < 0.6) {
      firstResponseAt = new Date(
        Math.min(now.getTime(), start.getTime() + Math.floor(random() * targets.firstResponseSeconds * 1200)),
      );
      sla = firstResponded(tenant.calendar, sla, firstResponseAt);
    }
    if (status === 'pending')
      sla = pause(
        tenant.calendar,
        sla,
        new Date(start.getTime() + Math.floor(random() * (now.getTime() - start.getTime()))),
      );
    sla = recorded(tenant.calendar, sla, dueEvents(tenant.calendar, sla, horizon));
    docs.push(
      ticketDoc(tenant, seqStart + i, {
        type,
        priority,
        status,
        start,
        assignee: status === 'new' ? null : pick(tenant.operators, random()),
        requester: pick(tenant.clients, random()),
        sla,
        firstResponseAt,
      }),
    );
  }
  return docs;
}

/**
 * DUE tickets on the 24x7 tenants, assigned, whose next event is a breach (7 in 10 first
 * response, the others resolution after a first response) at windowStart + (i + 0.5) * step:
 * their earlier warnings are recorded already.
 */
function dueTickets(world: TenantInfo[], windowStart: number, seqStart: number): TicketDoc[] {
  const random = rng(seqStart);
  const step = (WINDOW_S * 1000) / DUE;
  const docs: TicketDoc[] = [];
  for (let i = 0; i < DUE; i++) {
    const tenant = world[i % ALWAYS_OPEN] as TenantInfo;
    const policy = pick(tenant.policies, random());
    const type = pick(ticketTypes, random());
    const priority = pick(['urgent', 'high'] as const, random());
    const targets = targetFor(policy, type, priority);
    if (!targets) throw new Error('no targets');
    const dueAt = new Date(Math.round(windowStart + (i + 0.5) * step));
    const resolution = i % 10 >= 7;
    const start = new Date(
      dueAt.getTime() - (resolution ? targets.resolutionSeconds : targets.firstResponseSeconds) * 1000,
    );
    let sla = startClock(tenant.calendar, targets, policy.version, policy.warnAt ?? [75, 90], start);
    let firstResponseAt: Date | null = null;
    if (resolution) {
      firstResponseAt = new Date(start.getTime() + targets.firstResponseSeconds * 500);
      sla = firstResponded(tenant.calendar, sla, firstResponseAt);
    }
    sla = recorded(tenant.calendar, sla, dueEvents(tenant.calendar, sla, new Date(dueAt.getTime() - 1)));
    if (sla.nextEventAt?.getTime() !== dueAt.getTime())
      throw new Error(
        `ticket ${i}: next event ${sla.nextEventAt?.toISOString()} is not its breach ${dueAt.toISOString()}`,
      );
    docs.push(
      ticketDoc(tenant, seqStart + i, {
        type,
        priority,
        status: 'open',
        start,
        assignee: pick(tenant.operators, random()),
        requester: pick(tenant.clients, random()),
        sla,
        firstResponseAt,
      }),
    );
  }
  return docs;
}

async function insertInBatches(
  collection: { insertMany(docs: TicketDoc[], opts: { ordered: boolean }): Promise<unknown> },
  docs: TicketDoc[],
): Promise<void> {
  for (let i = 0; i < docs.length; i += INSERT_BATCH)
    await collection.insertMany(docs.slice(i, i + INSERT_BATCH), { ordered: false });
}

/** Tickets as the domain leaves them: each with its row in the SLA due list. */
async function insertTickets(docs: TicketDoc[]): Promise<void> {
  await insertInBatches(Ticket.collection, docs);
  const rows = docs.flatMap((d) => slaDueRowOf(d as never) ?? []);
  for (let i = 0; i < rows.length; i += INSERT_BATCH)
    await SlaDue.collection.insertMany(rows.slice(i, i + INSERT_BATCH), { ordered: false });
}

// ---------------------------------------------------------------------------------------------
// The two sides.

interface SideResult {
  lateness: number[];
  duplicates: number;
  misses: number;
  extra: number;
  notes: string[];
}

/** The bare loop: every SWEEP_S, one query for what came due since the last poll, one insert per breach. */
async function baselineRun(
  collectionName: string,
  due: TicketDoc[],
  windowStart: number,
): Promise<SideResult> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('no database');
  const tickets = db.collection(collectionName);
  const events = db.collection<{ _id: string; ticketId: Types.ObjectId; dueAt: Date; recordedAt: Date }>(
    'bench_baseline_events',
  );
  const end = windowStart + WINDOW_S * 1000 + TAIL_MS;
  let last = new Date(0);
  let duplicates = 0;
  let recordedCount = 0;
  let polls = 0;
  const pollMs: number[] = [];
  for (let tick = Date.now(); Date.now() < end && recordedCount < due.length;) {
    const now = new Date();
    const started = performance.now();
    const found = await tickets
      .find({ 'sla.nextEventAt': { $gt: last, $lte: now } })
      .project<{ _id: Types.ObjectId; sla: { nextEventAt: Date } }>({ _id: 1, 'sla.nextEventAt': 1 })
      .toArray();
    pollMs.push(performance.now() - started);
    polls++;
    last = now;
    for (const t of found) {
      try {
        await events.insertOne({
          _id: `${String(t._id)}:breach`,
          ticketId: t._id,
          dueAt: t.sla.nextEventAt,
          recordedAt: new Date(),
        });
        recordedCount++;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
        duplicates++;
      }
    }
    tick += SWEEP_S * 1000;
    await sleep(Math.max(0, tick - Date.now()));
  }
  const rows = await events.find({}).toArray();
  const dueIds = new Set(due.map((d) => String(d._id)));
  const mine = rows.filter((r) => dueIds.has(String(r.ticketId)));
  const lateness = mine.map((r) => r.recordedAt.getTime() - r.dueAt.getTime());
  await events.drop();
  return {
    lateness,
    duplicates,
    misses: due.length - new Set(mine.map((r) => String(r.ticketId))).size,
    extra: rows.length - mine.length,
    notes: [`${polls} polls; the due query took ${msStats(pollMs)}`],
  };
}

/** The portal's agenda job records the breaches; wait for them, then read SlaEvent, the timeline and the mail keys. */
async function portalRun(
  due: TicketDoc[],
  windowStart: number,
  runs: Array<{ at: number; ms: number }>,
  sweeping: () => boolean,
): Promise<SideResult> {
  const end = windowStart + WINDOW_S * 1000 + TAIL_MS;
  const ids = due.map((d) => d._id);
  while (Date.now() < end) {
    const n = await SlaEvent.countDocuments({ kind: 'breach' }).setOptions({ allTenants: true });
    if (n >= due.length) break;
    await sleep(500);
  }
  // The run that recorded the last events still queues their mail and marks their clocks.
  for (let i = 0; i < 120 && sweeping(); i++) await sleep(250);
  const events = await SlaEvent.find({}).setOptions({ allTenants: true }).lean();
  const dueSet = new Set(ids.map(String));
  const mine = events.filter((e) => dueSet.has(String(e.ticketId)) && e.kind === 'breach');
  const keys = mine.map((e) => `${String(e.ticketId)}:${e.target}:${e.kind}:${e.threshold}`);
  const entries = await TimelineEntry.find({ kind: 'sla' })
    .setOptions({ allTenants: true })
    .select({ key: 1, ticketId: 1 })
    .lean();
  const entryCount = new Map<string, number>();
  for (const e of entries) entryCount.set(e.key, (entryCount.get(e.key) ?? 0) + 1);
  const slaMail = { template: { $in: ['sla_breach', 'sla_warning'] } };
  const mailRows = [
    ...(await OutboxMail.find(slaMail)
      .setOptions({ allTenants: true })
      .select({ key: 1, createdAt: 1 })
      .lean()),
    ...(await SentMail.find(slaMail)
      .setOptions({ allTenants: true })
      .select({ key: 1, createdAt: 1 })
      .lean()),
  ];
  // When the last mail of each breach was queued: the end of the sweep's work on it.
  const lastMailAt = new Map<string, number>();
  for (const m of mailRows) {
    const event = m.key.slice(0, m.key.lastIndexOf(':'));
    lastMailAt.set(event, Math.max(lastMailAt.get(event) ?? 0, m.createdAt.getTime()));
  }
  const mailLateness = mine.flatMap((e) => {
    const at = lastMailAt.get(`sla:${String(e.ticketId)}:${e.target}:${e.kind}:${e.threshold}`);
    return at === undefined ? [] : [at - e.dueAt.getTime()];
  });
  const mailCount = new Map<string, number>();
  for (const m of mailRows) mailCount.set(m.key, (mailCount.get(m.key) ?? 0) + 1);
  const mailKeys = await MailKey.countDocuments({ _id: { $regex: '^sla:' } });
  const duplicates =
    keys.length -
    new Set(keys).size +
    [...entryCount.values()].filter((n) => n > 1).length +
    [...mailCount.values()].filter((n) => n > 1).length;
  const missingEntries = keys.filter((k) => !entryCount.has(`sla:${k}`)).length;
  const window = runs.filter((r) => r.at >= windowStart - SWEEP_S * 1000 && r.at <= end);
  return {
    lateness: mine.map((e) => e.recordedAt.getTime() - e.dueAt.getTime()),
    duplicates,
    misses: due.length - new Set(mine.map((e) => String(e.ticketId))).size + missingEntries,
    extra: events.length - mine.length,
    notes: [
      `sweep runs around the window: ${window.length}, duration ${stats(window.map((r) => r.ms))}`,
      `last mail of each breach queued (createdAt - dueAt): ${stats(mailLateness)} over ${mailLateness.length} breaches`,
      `mail: ${mailKeys} SLA mail keys, ${mailRows.length} outbox/sent rows (${mailRows.length - mailCount.size} duplicate rows); ${entries.length} sla timeline entries`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------

interface ScaleResult {
  n: number;
  baseline: SideResult;
  portal: SideResult;
}

async function runScale(engineUri: string, n: number): Promise<ScaleResult> {
  const url = new URL(engineUri);
  // H2 cannot create a database under a name dropped earlier in the same engine: a fresh name per run.
  url.pathname = `/bench_sla_${n}_${randomBytes(3).toString('hex')}`;
  const uri = url.toString();
  out();
  out(
    `== ${n} open tickets, ${DUE} breaches spread over ${WINDOW_S} s, sweep interval ${SWEEP_S} s (database ${url.pathname.slice(1)})`,
  );

  // Set-up and baseline on this process's own connection.
  await mongoose.connect(uri);
  await Promise.all(Object.values(mongoose.models).map((m) => m.createIndexes()));
  let t = performance.now();
  const world = await buildWorld();
  const now = new Date();
  const horizon = new Date(now.getTime() + 2 * 3600_000);
  const background = backgroundTickets(world, n - DUE, now, horizon, 1);
  const buildMs = performance.now() - t;
  t = performance.now();
  await insertTickets(background);
  const db = mongoose.connection.db;
  if (!db) throw new Error('no database');
  const baselineTickets = db.collection<TicketDoc>('bench_baseline_tickets');
  await insertInBatches(baselineTickets, background);
  out(
    `set-up: built ${background.length} background tickets in ${secs(buildMs)} (clock math included), inserted twice (tickets + baseline copy) in ${secs(performance.now() - t)}`,
  );
  const stillDue = await Ticket.countDocuments({ 'sla.nextEventAt': { $lte: horizon } }).setOptions({
    allTenants: true,
  });
  if (stillDue) throw new Error(`${stillDue} background tickets come due during the run`);

  // Baseline first, on its own copy with its own window.
  let windowStart = Date.now() + LEAD_MS;
  const baseDue = dueTickets(world, windowStart, 500_000);
  await insertInBatches(baselineTickets, baseDue);
  let cpu = { own: ownCpuMs(), engine: engineCpuMs() };
  const baseline = await baselineRun('bench_baseline_tickets', baseDue, windowStart);
  baseline.notes.push(`CPU: bench ${secs(ownCpuMs() - cpu.own)}, engine ${secs(engineCpuMs() - cpu.engine)}`);
  await baselineTickets.drop();
  await mongoose.disconnect();

  // The portal, its agenda job on the real tickets.
  const config = loadConfig({
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PORT: '0',
    MONGODB_URI: PROFILE ? `${uri}?monitorCommands=true` : uri,
    JOBS_ENABLED: 'true',
    SLA_SWEEP_SECONDS: String(SWEEP_S),
    SEED_DEMO: 'false',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  });
  const portal = await startPortal(config, pino({ level: config.logLevel }));
  const runs: Array<{ at: number; ms: number }> = [];
  const startedAt = new Map<unknown, number>();
  portal.agenda?.on(`start:${SLA_SWEEP_JOB}`, (job: Job) =>
    startedAt.set(job.attrs._id?.toString(), Date.now()),
  );
  portal.agenda?.on(`complete:${SLA_SWEEP_JOB}`, (job: Job) => {
    const at = startedAt.get(job.attrs._id?.toString());
    startedAt.delete(job.attrs._id?.toString());
    if (at !== undefined) runs.push({ at, ms: Date.now() - at });
  });
  const commands = commandProfile(mongoose.connection.getClient());
  let result: SideResult;
  try {
    windowStart = Date.now() + LEAD_MS;
    const due = dueTickets(world, windowStart, 600_000);
    await insertTickets(due);
    if (PROFILE) commands.start();
    cpu = { own: ownCpuMs(), engine: engineCpuMs() };
    result = await portalRun(due, windowStart, runs, () => startedAt.size > 0);
    result.notes.push(
      `CPU: portal (this process) ${secs(ownCpuMs() - cpu.own)}, engine ${secs(engineCpuMs() - cpu.engine)}`,
    );
    if (PROFILE) {
      commands.stop();
      const rows = commands.rows();
      const total = rows.reduce((sum, [, r]) => sum + r.ms, 0);
      result.notes.push(
        `database commands of the portal during the window (client-side duration, waiting in the engine included; total ${total.toFixed(0)} ms):`,
      );
      for (const [key, r] of rows.slice(0, 16)) result.notes.push(commandLine(key, r, 34, 7));
    }
  } finally {
    // Let a sweep in progress end first (stopping closes the connection under it), bounded.
    for (let i = 0; i < 120 && startedAt.size; i++) await sleep(250);
    await portal.stop();
    await mongoose.connect(uri);
    await mongoose.connection.dropDatabase().catch(() => undefined);
    await mongoose.disconnect();
  }
  return { n, baseline, portal: result };
}

function report(side: string, r: SideResult): void {
  out(
    `${side.padEnd(9)} lateness ${stats(r.lateness)} over ${r.lateness.length} breach records; duplicates ${r.duplicates}, misses ${r.misses}, other events ${r.extra}`,
  );
  for (const line of r.notes) out(`          ${line}`);
}

async function main(): Promise<number> {
  if (!process.env.DEVDB_JAVA_OPTS) process.env.DEVDB_JAVA_OPTS = '-Xmx3g';
  out(
    `bench:sla  scales=${SCALES.join(',')} due=${DUE} window=${WINDOW_S}s sweep interval (SLA_SWEEP_SECONDS)=${SWEEP_S}s lead=${LEAD_MS}ms engine: ${benchBackend()} backend, DEVDB_JAVA_OPTS=${process.env.DEVDB_JAVA_OPTS}`,
  );
  const engine = await startBenchEngine('bench_sla', pino({ level: 'error' }));
  const results: ScaleResult[] = [];
  try {
    for (const n of SCALES) {
      const r = await runScale(engine.uri, n);
      results.push(r);
      report('baseline', r.baseline);
      report('portal', r.portal);
    }
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    await engine.stop();
  }
  out();
  const targetMs = SWEEP_S * 1000 + 1000;
  let failed = false;
  for (const r of results) {
    const p99 = spread(r.portal.lateness).p99;
    const base99 = spread(r.baseline.lateness).p99;
    out(
      `${String(r.n).padStart(7)} open tickets: portal p99 ${secs(p99)} vs baseline p99 ${secs(base99)}; target p99 <= interval + 1 s = ${secs(targetMs)}: ${p99 <= targetMs ? 'met' : 'NOT met'}; duplicates ${r.portal.duplicates + r.baseline.duplicates}, misses ${r.portal.misses + r.baseline.misses}`,
    );
    if (r.portal.duplicates || r.portal.misses || r.baseline.duplicates || r.baseline.misses) failed = true;
  }
  return failed ? 1 : 0;
}

runOnBackends(main, 'bench:sla');
