/**
 * Claim benchmark: 50 operators draining a queue of 2000 tickets with "Get next" at the same time.
 *
 *   npm run bench:claim                         # 2000 tickets, 50 operators
 *   BENCH_TICKETS=500 BENCH_OPERATORS=20 npm run bench:claim
 *
 * In this process: the embedded engine (BENCH_BACKEND: memory, h2 or both, see
 * bench/support/backend.ts) and the portal (PORT 0, loopback, no jobs). Two runs on the same database, each on its own 2000 unassigned tickets:
 * - portal: each operator calls the domain's takeNext(ctx, queueId) in a loop until it answers
 *   null (the path the "Get next" button and the `ticket:next` socket event take: the queue read,
 *   the claiming findOneAndUpdate with the queue's sort, opening the ticket, the timeline entry
 *   and the domain event that the real-time layer pushes);
 * - baseline: the same 50 callers run a bare findOneAndUpdate({ unassigned }, { $set assignee },
 *   { sort }) loop on a copy of the tickets in another collection of the same database.
 * Prints tickets per second for both and the number of double assignments (must be 0: every
 * ticket claimed once, by one operator, and every claim got a distinct ticket).
 */
import { randomBytes } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import { pino } from 'pino';
import { Tenant } from '../../models/tenant.js';
import { Ticket } from '../../models/ticket.js';
import { TimelineEntry } from '../../models/timeline-entry.js';
import { User } from '../../models/user.js';
import { startPortal } from '../../server/boot.js';
import { loadConfig } from '../../server/config/config.js';
import { runOnBackends, startBenchEngine } from '../support/backend.js';
import { makeCtx, type Ctx } from '../../server/domain/context.js';
import { takeNext } from '../../server/domain/queues/claims.js';
import { sortOf } from '../../server/domain/queues/filter.js';
import { createQueue, queueInputSchema } from '../../server/domain/queues/queues.js';
import { createTicket } from '../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../server/domain/tickets/schemas.js';
import { commandLine, commandProfile, out, percentile, startWatchdog } from '../support/harness.js';

const TICKETS = Number(process.env.BENCH_TICKETS ?? 2000);
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 50);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 10 * 60_000);
/** BENCH_PROFILE=1: also time every database command of the portal run (driver command monitoring). */
const PROFILE = process.env.BENCH_PROFILE === '1';

startWatchdog(TIMEOUT_MS);

interface Drained {
  ms: number;
  /** ticket id -> operator indexes that got it (more than one = double assignment). */
  claims: Map<string, number[]>;
  latencies: number[];
  errors: number;
}

/** `OPERATORS` callers, each looping `claim(i)` until it returns null. */
async function drain(claim: (operator: number) => Promise<string | null>): Promise<Drained> {
  const claims = new Map<string, number[]>();
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: OPERATORS }, async (_, i) => {
      for (;;) {
        const t0 = performance.now();
        let id: string | null;
        try {
          id = await claim(i);
        } catch {
          errors++;
          if (errors > 100) throw new Error('too many errors');
          continue;
        }
        latencies.push(performance.now() - t0);
        if (!id) return;
        claims.set(id, [...(claims.get(id) ?? []), i]);
      }
    }),
  );
  return { ms: performance.now() - started, claims, latencies: latencies.sort((a, b) => a - b), errors };
}

async function main(): Promise<number> {
  const quiet = pino({ level: 'error' });
  out(`bench:claim  tickets=${TICKETS} operators=${OPERATORS}`);
  const engine = await startBenchEngine('bench_claim', quiet);
  const config = loadConfig({
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PORT: '0',
    MONGODB_URI: PROFILE ? `${engine.uri}?monitorCommands=true` : engine.uri,
    JOBS_ENABLED: 'false',
    SEED_DEMO: 'false',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  });
  const portal = await startPortal(config, pino({ level: config.logLevel }));
  let failed = false;
  try {
    const tenant = await Tenant.create({
      code: 'acme',
      legalName: 'Acme Logistica S.p.A.',
      timeZone: 'Europe/Rome',
      locale: 'it',
    });
    const tenantId = String(tenant._id);
    const client = await User.create({
      email: 'user@acme.example',
      name: 'Luca Verdi',
      role: 'client_user',
      tenantId: tenant._id,
      status: 'active',
    });
    const admin = await User.create({
      email: 'admin@desk.example',
      name: 'Admin',
      role: 'admin',
      status: 'active',
    });
    const ctxOf = (u: InstanceType<typeof User>, tenant: string | null): Ctx =>
      makeCtx({
        tenantId: tenant,
        actor: {
          kind: 'user',
          userId: String(u._id),
          email: u.email,
          name: u.name,
          role: u.role,
          tenantId: tenant,
          tenantIds: tenant ? [tenant] : u.tenantIds.map(String),
          locale: 'en',
        },
        requestId: 'bench',
        log: quiet,
      });
    const operators: Array<InstanceType<typeof User>> = [];
    for (let i = 0; i < OPERATORS; i++) {
      operators.push(
        await User.create({
          email: `op${i}@desk.example`,
          name: `Operator ${i}`,
          role: 'operator',
          tenantIds: [tenant._id],
          status: 'active',
        }),
      );
    }
    const ctxs = operators.map((o) => ctxOf(o, null));
    const queue = await createQueue(
      ctxOf(admin, null),
      queueInputSchema.parse({ name: 'All Acme', tenantIds: [tenantId], order: 'sla' }),
    );
    const queueId = String(queue._id);

    // The tickets: one created through the domain, the rest copies of it (different numbers,
    // priorities and deadlines, so the sort has work to do), inserted in bulk.
    const first = await createTicket(
      ctxOf(client, tenantId),
      ticketInputSchema.parse({
        type: 'complaint',
        subject: 'Bench ticket 0',
        description: 'Created by bench/claim.',
        priority: 'normal',
        fields: {
          customerName: 'Mario Rossi',
          customerReference: 'ORD-0',
          channel: 'phone',
          category: 'Delivery',
          severity: 'medium',
        },
      }),
      'portal',
    );
    const { _id: _ignored, ...shape } = first;
    const ranks = ['urgent', 'high', 'normal', 'low'] as const;
    const now = Date.now();
    const docs = Array.from({ length: TICKETS - 1 }, (_, k) => {
      const i = k + 1;
      const priority = ranks[i % 4] as (typeof ranks)[number];
      return {
        ...shape,
        _id: new Types.ObjectId(),
        number: `ACME-B${String(i).padStart(6, '0')}`,
        seq: 1_000_000 + i,
        subject: `Bench ticket ${i}`,
        priority,
        priorityRank: i % 4,
        dueSortAt: new Date(now + ((i * 7919) % 50_000) * 60_000),
        createdAt: new Date(now - i * 1000),
        updatedAt: new Date(now - i * 1000),
      };
    });
    await Ticket.collection.insertMany(docs);
    const db = mongoose.connection.db;
    if (!db) throw new Error('no database');
    const baseline = db.collection('bench_claim_baseline');
    await baseline.insertMany(
      (await Ticket.collection.find({ tenantId: tenant._id }).toArray()).map((d) => ({
        ...d,
        _id: new Types.ObjectId(),
      })),
    );

    // Where the database time goes during the portal run: command and collection, count and total ms.
    const commands = commandProfile(mongoose.connection.getClient());
    if (PROFILE) commands.start();

    // Portal: takeNext through the domain, 50 at a time.
    const viaPortal = await drain(async (i) => {
      const t = await takeNext(ctxs[i] as Ctx, queueId);
      return t ? String(t._id) : null;
    });

    if (PROFILE) commands.stop();

    // Baseline: the bare atomic update with the same sort, same database.
    const sort = sortOf.sla;
    const viaBaseline = await drain(async (i) => {
      const op = operators[i];
      const doc = await baseline.findOneAndUpdate(
        { tenantId: tenant._id, status: { $in: ['new', 'open'] }, assignee: null },
        {
          $set: { assignee: { id: op?._id, name: op?.name, email: op?.email }, assignedAt: new Date() },
          $inc: { version: 1 },
        },
        { sort, returnDocument: 'after' },
      );
      return doc ? String(doc._id) : null;
    });

    // Double assignments, counted three ways: a ticket handed to two callers, a claim timeline
    // entry written twice for one ticket, a ticket left unclaimed.
    const doubles = (d: Drained) => [...d.claims.values()].filter((who) => who.length > 1).length;
    const claimEntries = await TimelineEntry.aggregate<{ _id: Types.ObjectId; n: number }>([
      { $match: { tenantId: tenant._id, kind: 'assignment' } },
      { $group: { _id: '$ticketId', n: { $sum: 1 } } },
    ]);
    const twiceInTimeline = claimEntries.filter((e) => e.n > 1).length;
    const leftPortal = await Ticket.countDocuments({ tenantId: tenant._id, assignee: null });
    const leftBaseline = await baseline.countDocuments({ assignee: null });
    const rate = (d: Drained) => d.claims.size / (d.ms / 1000);

    out();
    out(
      `portal takeNext x${OPERATORS}:       ${rate(viaPortal).toFixed(0)} tickets/s  (${viaPortal.claims.size} claimed in ${(viaPortal.ms / 1000).toFixed(2)} s; per call p50 ${percentile(viaPortal.latencies, 50).toFixed(1)} ms, p99 ${percentile(viaPortal.latencies, 99).toFixed(1)} ms)`,
    );
    out(
      `baseline findOneAndUpdate x${OPERATORS}: ${rate(viaBaseline).toFixed(0)} tickets/s  (${viaBaseline.claims.size} claimed in ${(viaBaseline.ms / 1000).toFixed(2)} s; per call p50 ${percentile(viaBaseline.latencies, 50).toFixed(1)} ms, p99 ${percentile(viaBaseline.latencies, 99).toFixed(1)} ms)`,
    );
    out(`ratio portal / baseline: ${(rate(viaPortal) / rate(viaBaseline)).toFixed(2)}`);
    out(
      `double assignments: portal ${doubles(viaPortal)} (claim entries written twice: ${twiceInTimeline}), baseline ${doubles(viaBaseline)}; ` +
        `left unclaimed: portal ${leftPortal}, baseline ${leftBaseline}; errors: portal ${viaPortal.errors}, baseline ${viaBaseline.errors}`,
    );
    if (PROFILE) {
      const rows = commands.rows();
      const total = rows.reduce((sum, [, r]) => sum + r.ms, 0);
      out();
      out(
        `database commands during the portal run (client-side duration, waiting in the engine included; total ${total.toFixed(0)} ms):`,
      );
      for (const [key, r] of rows.slice(0, 12)) out(commandLine(key, r, 34, 6));
    }
    if (
      doubles(viaPortal) ||
      twiceInTimeline ||
      doubles(viaBaseline) ||
      leftPortal ||
      viaPortal.claims.size !== TICKETS
    )
      failed = true;
  } finally {
    await portal.stop();
    await engine.stop();
  }
  return failed ? 1 : 0;
}

runOnBackends(main, 'bench:claim');
