/**
 * The embedded engine's cost per document written (issues 17, 18, 19): what the engine itself
 * spends on an insert, an update by _id and a `$inc` by a unique key, with the commands already
 * batched (100 documents a command), so that the driver's per-command cost is spread thin.
 *
 *   npm run bench:engine                          # 5 000 documents, memory then H2
 *   BENCH_DOCS=20000 BENCH_BACKEND=h2 npm run bench:engine
 *
 * The engine is started as the portal starts it (bench/support/backend.ts). The collection is
 * shaped like `webhookevents` (models/webhook-event.ts): its unique index on `key` and its
 * non-unique ones (which the engine accepts and ignores), documents of about 1.5 KB.
 *
 * - insert: BENCH_DOCS documents by insertMany of 100;
 * - update: each of them once, `updateOne` by _id with a `$set` of 4 fields, 100 a bulkWrite;
 * - $inc: BENCH_DOCS increments of 100 counters found by their unique key, 100 a bulkWrite;
 * - ping: one command that writes nothing, per 100 documents: the floor of a command's round trip.
 * Each is run once on a warm-up collection first (the JIT). Prints, per document, the time and
 * the engine's CPU time (from /proc: the figure that holds on a busy machine), and checks that
 * every write landed (documents, updates and counters counted afterwards).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { MongoClient, ObjectId, type AnyBulkWriteOperation, type Db, type Document } from 'mongodb';
import { pino } from 'pino';
import { unsentState } from '../../server/domain/webhooks/event-types.js';
import { runOnBackends, startBenchEngine } from '../support/backend.js';
import { out, startWatchdog } from '../support/harness.js';
import { engineCpuMs } from '../support/proc.js';

const DOCS = Number(process.env.BENCH_DOCS ?? 5_000);
const BATCH = 100;
const WARMUP_DOCS = DOCS;
const COUNTERS = 100;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 5 * 60_000);

startWatchdog(TIMEOUT_MS);

/** A webhook event row as the recorder writes it: about 1.5 KB, most of it the payload. */
function eventDoc(i: number, tag: string): Document {
  const now = new Date();
  return {
    _id: new ObjectId(),
    tenantId: new ObjectId(),
    endpointId: new ObjectId(),
    key: `${tag}:${i}:${randomBytes(8).toString('hex')}`,
    msgId: `msg_${randomBytes(12).toString('hex')}`,
    type: 'ticket.updated',
    ticketId: new ObjectId(),
    occurredAt: now,
    sourceId: new ObjectId(),
    payload: JSON.stringify({ type: 'ticket.updated', data: { note: randomBytes(600).toString('hex') } }),
    ...unsentState(now),
  };
}

/** µs per document: the time it took, and the engine's CPU time in it (user + system). */
interface Cost {
  wall: number;
  engineCpu: number;
}

/** Runs `write` over `n` documents in commands of BATCH. */
async function timed(n: number, write: (from: number, to: number) => Promise<void>): Promise<Cost> {
  const cpu = engineCpuMs();
  const started = process.hrtime.bigint();
  for (let from = 0; from < n; from += BATCH) await write(from, Math.min(n, from + BATCH));
  const wall = Number(process.hrtime.bigint() - started) / 1000 / n;
  return { wall, engineCpu: ((engineCpuMs() - cpu) * 1000) / n };
}

interface Round {
  insert: Cost;
  update: Cost;
  inc: Cost;
  ping: Cost;
}

/** One round of the three writes (and the ping floor) on fresh collections named after `tag`. */
async function round(db: Db, tag: string, n: number): Promise<Round> {
  const events = db.collection(`webhookevents_${tag}`);
  await events.createIndex({ key: 1 }, { unique: true });
  await events.createIndex({ endpointId: 1, status: 1, nextAttemptAt: 1 });
  await events.createIndex({ tenantId: 1 });
  const counters = db.collection(`counters_${tag}`);
  await counters.createIndex({ key: 1 }, { unique: true });
  await counters.insertMany(Array.from({ length: COUNTERS }, (_, i) => ({ key: `c${i}`, seq: 0 })));

  const docs = Array.from({ length: n }, (_, i) => eventDoc(i, tag));
  const insert = await timed(n, async (from, to) => {
    await events.insertMany(docs.slice(from, to));
  });
  const update = await timed(n, async (from, to) => {
    const ops: AnyBulkWriteOperation[] = docs.slice(from, to).map((d) => ({
      updateOne: {
        filter: { _id: d['_id'] as ObjectId },
        update: { $set: { status: 'delivered', attempts: 1, lastStatus: 200, deliveredAt: new Date() } },
      },
    }));
    await events.bulkWrite(ops, { ordered: false });
  });
  const inc = await timed(n, async (from, to) => {
    const ops: AnyBulkWriteOperation[] = [];
    for (let i = from; i < to; i++) {
      ops.push({ updateOne: { filter: { key: `c${i % COUNTERS}` }, update: { $inc: { seq: 1 } } } });
    }
    await counters.bulkWrite(ops, { ordered: false });
  });
  const ping = await timed(n, async () => {
    await db.command({ ping: 1 });
  });

  // Every write landed.
  const stored = await events.countDocuments({});
  const delivered = await events.countDocuments({ status: 'delivered' });
  const sums = await counters
    .aggregate<{ total: number }>([{ $group: { _id: null, total: { $sum: '$seq' } } }])
    .toArray();
  const total = sums[0]?.total ?? 0;
  if (stored !== n || delivered !== n || total !== n) {
    throw new Error(
      `lost writes: ${stored}/${n} stored, ${delivered}/${n} updated, counters at ${total}/${n}`,
    );
  }
  return { insert, update, inc, ping };
}

async function main(): Promise<number> {
  const engine = await startBenchEngine('bench_engine', pino({ level: 'warn' }));
  const client = await MongoClient.connect(engine.uri);
  try {
    const db = client.db();
    await round(db, 'warmup', WARMUP_DOCS);
    const r = await round(db, 'run', DOCS);
    const us = (c: Cost): string =>
      `${c.wall.toFixed(0).padStart(6)} µs ${c.engineCpu.toFixed(0).padStart(10)} µs`;
    out(`bench:engine on ${engine.backend}: ${DOCS} documents of ~1.5 KB, ${BATCH} a command; per document:`);
    out(`                                    time   engine CPU`);
    out(`  insert (insertMany)          ${us(r.insert)}`);
    out(`  update by _id ($set 4)       ${us(r.update)}`);
    out(`  $inc by unique key           ${us(r.inc)}`);
    out(`  ping (a command, no write)   ${us(r.ping)}   (one command, shared by ${BATCH} documents)`);
    out(
      `  (load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')})`,
    );
    return 0;
  } finally {
    await client.close();
    await engine.stop();
  }
}

runOnBackends(main, 'bench:engine');
