import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient, type Db } from 'mongodb';
import mongoose from 'mongoose';
import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy } from '../../../models/sla-policy.js';
import { priorities, ticketTypes } from '../../../models/ticket.js';
import { tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { findIndexMismatches } from '../../support/index-agreement.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { freePort, spawnPortal, type SpawnedPortal } from '../../support/spawned-portal.js';

/**
 * Issue 13: the portal on its default database (the embedded engine, H2 backend, under DATA_DIR)
 * under a mixed load, killed at random moments: the engine with `kill -9` (the portal restarts it),
 * then the portal itself with `kill -9` (a new portal starts on the same DATA_DIR).
 *
 * The load: API clients creating tickets with an `Idempotency-Key` (a failed attempt is retried
 * with the same key until it is answered, as the API documentation tells clients to) and adding
 * replies; the outbox sending confirmation mails to a real SMTP sink; the SLA sweep recording
 * breaches (first response due 3 s after creation).
 *
 * After every kill, once the portal is ready again and the load paused: every index of every
 * collection agrees with the documents, no acknowledged write is lost (tickets, replies), no
 * idempotency key has two tickets. At the end: every ticket has its `created` entry and its
 * confirmation mail, and the sink received each confirmation; a mail received twice must carry the
 * same Message-ID both times (a kill between the SMTP server's acceptance and the sent mark): those
 * are counted and printed, never failed.
 *
 * CRASH_ENGINE_KILLS / CRASH_PORTAL_KILLS set the number of kills (default 3 and 2 in the suite;
 * the long run: CRASH_ENGINE_KILLS=30 CRASH_PORTAL_KILLS=10).
 */
const ENGINE_KILLS = Number(process.env.CRASH_ENGINE_KILLS ?? 3);
const PORTAL_KILLS = Number(process.env.CRASH_PORTAL_KILLS ?? 2);
const CLIENTS = 6;
const DB_NAME = 'backoffice_desk';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const note = (line: string): void => {
  process.stdout.write(`      [crash-mixed] ${line}\n`);
};

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null | undefined | false>,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await wait(everyMs);
  }
}

async function engineState(dataDir: string): Promise<{ pid: number; port: number }> {
  return JSON.parse(await readFile(join(dataDir, 'devdb.json'), 'utf8')) as { pid: number; port: number };
}

/** A client of the engine the portal runs now (its port can change across restarts). */
async function withEngineDb<T>(dataDir: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const { port } = await engineState(dataDir);
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/${DB_NAME}`, {
    serverSelectionTimeoutMS: 5000,
  });
  try {
    await client.connect();
    return await fn(client.db());
  } finally {
    await client.close();
  }
}

interface Acknowledged {
  /** Idempotency-Key -> ticket id answered for it (every answer for one key must name one ticket). */
  tickets: Map<string, string>;
  /** Ticket number -> reply bodies acknowledged with 201. */
  replies: Map<string, string[]>;
  numbers: Map<string, string>;
  attempts: number;
  answered5xx: number;
  /** Answers of 500: a failure of ours, never expected (a database outage is a 503). */
  answered500: string[];
  networkErrors: number;
  conflicting: string[];
}

describe('the portal on its default database, killed at random under a mixed load', function () {
  // About a minute a kill on a busy machine (a restart backs off up to 10 s), plus the final checks.
  this.timeout(Math.max(20, (ENGINE_KILLS + PORTAL_KILLS) * 1.5 + 10) * 60_000);
  let smtp: SmtpSink;
  let dataDir: string;
  let portal: SpawnedPortal | undefined;
  /** What killed portals printed: a 500 is explained from their log. */
  const earlierLogs: string[] = [];
  let world: World;
  let token: string;
  let port: number;

  const env = (): Record<string, string> => ({
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    JOBS_ENABLED: 'true',
    SLA_SWEEP_SECONDS: '1',
    SMTP_URL: smtp.url,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    API_RATE_LIMIT: '100000', // the limiter is not under test; a slow machine retries more
  });

  before(async () => {
    smtp = await startSmtpSink();
    dataDir = await mkdtemp(join(tmpdir(), 'desk-crash-mixed-'));
    port = await freePort();
    portal = await spawnPortal(env());
    const { port: enginePort } = await engineState(dataDir);
    await mongoose.connect(`mongodb://127.0.0.1:${enginePort}/${DB_NAME}`, {
      serverSelectionTimeoutMS: 10_000,
    });
    world = await makeWorld();
    ({ token } = await tokenOf(world.users.acmeAdmin));
    const calendar = await SlaCalendar.create({
      tenantId: world.acme._id,
      name: 'Always',
      timeZone: 'Europe/Rome',
      alwaysOpen: true,
      weekly: [],
      holidays: [],
      closures: [],
    });
    await SlaPolicy.create({
      tenantId: world.acme._id,
      version: 1,
      calendarId: calendar._id,
      targets: ticketTypes.flatMap((type) =>
        priorities.map((priority) => ({
          type,
          priority,
          firstResponseMinutes: 3 / 60,
          resolutionMinutes: 60,
        })),
      ),
      warnAt: [50],
      escalation: { raisePriority: false, notifyClient: false },
      createdBy: { id: null, name: 'test' },
    });
    await mongoose.disconnect();
  });

  after(async () => {
    if (portal && portal.child.exitCode === null && portal.child.signalCode === null)
      await portal.signal('SIGTERM').catch(() => undefined);
    await mongoose.disconnect().catch(() => undefined);
    await smtp.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps indexes consistent, loses nothing acknowledged, creates one ticket per key and sends every mail', async () => {
    const url = `http://127.0.0.1:${port}`;
    const ack: Acknowledged = {
      tickets: new Map(),
      replies: new Map(),
      numbers: new Map(),
      attempts: 0,
      answered5xx: 0,
      answered500: [],
      networkErrors: 0,
      conflicting: [],
    };
    let paused = false;
    let stopped = false;
    let inFlight = 0;

    const call = async (
      path: string,
      body: unknown,
      headers: Record<string, string> = {},
    ): Promise<{ status: number; json: Record<string, unknown> } | null> => {
      inFlight++;
      try {
        ack.attempts++;
        const res = await fetch(`${url}/api/v1${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
        if (res.status >= 500) ack.answered5xx++;
        if (res.status === 500) ack.answered500.push(`${path}: ${JSON.stringify(json)}`);
        return { status: res.status, json };
      } catch {
        ack.networkErrors++;
        return null;
      } finally {
        inFlight--;
      }
    };

    /** One API client: new tickets with keys retried until answered, and replies to its tickets. */
    const client = async (n: number): Promise<void> => {
      while (!stopped) {
        if (paused) {
          await wait(50);
          continue;
        }
        const key = randomUUID();
        const body = {
          type: 'complaint',
          subject: `crash ${key}`,
          priority: 'normal',
          fields: {
            customerName: 'Rossi',
            customerReference: `C-${n}`,
            channel: 'phone',
            category: 'Delay',
            severity: 'medium',
          },
        };
        for (let attempt = 0; ; attempt++) {
          const res = await call('/tickets', body, { 'idempotency-key': key });
          if (res && (res.status === 201 || res.status === 200)) {
            const ticket = res.json.ticket as { id: string; number: string } | undefined;
            const id = String(ticket?.id ?? res.json.id);
            const number = String(ticket?.number ?? res.json.number);
            const before = ack.tickets.get(key);
            if (before && before !== id) ack.conflicting.push(key);
            ack.tickets.set(key, id);
            ack.numbers.set(id, number);
            break;
          }
          if (res && res.status < 500 && res.status !== 409 && res.status !== 429)
            throw new Error(`create answered ${res.status}: ${JSON.stringify(res.json)}`);
          if (attempt > 600) throw new Error(`key ${key} never answered`);
          await wait(200);
        }
        const numbers = [...ack.numbers.values()];
        const number = numbers[Math.floor(Math.random() * numbers.length)];
        if (number && !paused) {
          const text = `reply ${randomUUID()}`;
          const res = await call(`/tickets/${number}/replies`, { body: text });
          if (res?.status === 201) ack.replies.set(number, [...(ack.replies.get(number) ?? []), text]);
        }
      }
    };

    const pauseLoad = async (): Promise<void> => {
      paused = true;
      await until('the load to settle', 60_000, async () => inFlight === 0);
    };

    const checkConsistent = async (label: string): Promise<void> => {
      await pauseLoad();
      await withEngineDb(dataDir, async (db) => {
        const { mismatches, documents } = await findIndexMismatches(db);
        expect(mismatches, `${label}: index disagreements`).to.deep.equal([]);
        // The engine checks its indexes at start and would repair a broken one before the check
        // above could see it: a repair it logged counts as a disagreement too.
        const repaired = [...earlierLogs, portal?.output() ?? '']
          .join('\n')
          .split('\n')
          .filter((l) => l.includes('repaired after an unclean stop'));
        expect(repaired, `${label}: indexes the engine had to repair`).to.deep.equal([]);
        const stored = new Set(
          (
            await db
              .collection('tickets')
              .find({ tenantId: world.acme._id }, { projection: { _id: 1 } })
              .toArray()
          ).map((t) => String(t._id)),
        );
        const lost = [...ack.tickets.values()].filter((id) => !stored.has(id));
        expect(lost, `${label}: acknowledged tickets lost`).to.deep.equal([]);
        const bodies = new Set(
          (
            await db
              .collection('timelineentries')
              .find({ kind: 'reply' }, { projection: { body: 1 } })
              .toArray()
          ).map((e) => String(e.body)),
        );
        const lostReplies = [...ack.replies.values()].flat().filter((b) => !bodies.has(b));
        expect(lostReplies, `${label}: acknowledged replies lost`).to.deep.equal([]);
        note(
          `${label}: ${documents} documents agree with every index; ${ack.tickets.size} tickets and ${[...ack.replies.values()].flat().length} replies acknowledged, none lost`,
        );
      });
      expect(ack.conflicting, 'a key answered with two tickets').to.deep.equal([]);
      paused = false;
    };

    const load = Array.from({ length: CLIENTS }, (_, i) => client(i));
    const stopTimes: number[] = [];
    try {
      for (let k = 1; k <= ENGINE_KILLS; k++) {
        await wait(1000 + Math.random() * 3000);
        const { pid } = await engineState(dataDir);
        process.kill(pid, 'SIGKILL');
        const killedAt = Date.now();
        await until('a new engine', 60_000, async () => (await engineState(dataDir)).pid !== pid);
        await until(
          'the portal ready again',
          60_000,
          async () => (await fetch(`${url}/readyz`)).status === 200,
        );
        note(`engine kill ${k}: ready again after ${Date.now() - killedAt} ms`);
        await checkConsistent(`engine kill ${k}`);
      }
      for (let k = 1; k <= PORTAL_KILLS; k++) {
        await wait(1000 + Math.random() * 3000);
        const old = portal as SpawnedPortal;
        const started = Date.now();
        await old.signal('SIGKILL');
        earlierLogs.push(old.output());
        stopTimes.push(Date.now() - started);
        portal = await spawnPortal(env());
        note(`portal kill ${k}: a new portal ready after ${Date.now() - started} ms`);
        await checkConsistent(`portal kill ${k}`);
      }
    } finally {
      stopped = true;
      await Promise.allSettled(load);
    }
    await Promise.all(load);

    // Everything repairable is repaired and every due mail goes out (a mail claimed when its
    // process or database died waits for its lock to run out: up to a minute).
    const ids = [...ack.tickets.values()];
    await until(
      'every ticket with its created entry, and an empty outbox',
      150_000,
      () =>
        withEngineDb(dataDir, async (db) => {
          const created = new Set(
            (
              await db
                .collection('timelineentries')
                .find({ kind: 'created' }, { projection: { ticketId: 1 } })
                .toArray()
            ).map((e) => String(e.ticketId)),
          );
          const waiting = await db.collection('outboxmails').countDocuments({});
          return ids.every((id) => created.has(id)) && waiting === 0;
        }),
      1000,
    );
    await withEngineDb(dataDir, async (db) => {
      const { mismatches } = await findIndexMismatches(db);
      expect(mismatches, 'index disagreements at the end').to.deep.equal([]);
      const perKey = await db
        .collection('tickets')
        .aggregate<{ _id: string; n: number }>([
          { $match: { tenantId: world.acme._id } },
          { $group: { _id: '$subject', n: { $sum: 1 } } },
          { $match: { n: { $gt: 1 } } },
        ])
        .toArray();
      expect(perKey, 'idempotency keys with two tickets').to.deep.equal([]);
      const entries = await db
        .collection('timelineentries')
        .aggregate<{ _id: string; n: number }>([
          { $match: { kind: 'created' } },
          { $group: { _id: '$ticketId', n: { $sum: 1 } } },
          { $match: { n: { $gt: 1 } } },
        ])
        .toArray();
      expect(entries, 'tickets with two created entries').to.deep.equal([]);
    });

    // Every ticket's confirmation reached the sink; a second receipt only under the same Message-ID.
    const confirmations = new Map<string, Set<string>>();
    let received = 0;
    for (const m of smtp.messages) {
      // The requester (the token's creator) is mailed only the confirmation: client replies mail nobody.
      const ticket = m.headers.get('x-ticket');
      const to = m.to && !Array.isArray(m.to) ? m.to.value.map((a) => a.address) : [];
      if (typeof ticket !== 'string' || !to.includes(world.users.acmeAdmin.email)) continue;
      received++;
      const ids2 = confirmations.get(ticket) ?? new Set<string>();
      ids2.add(String(m.messageId));
      confirmations.set(ticket, ids2);
    }
    const numbers = [...ack.numbers.values()];
    const missing = numbers.filter((n) => !confirmations.has(n));
    expect(missing, 'tickets whose confirmation never reached the sink').to.deep.equal([]);
    const twoIds = [...confirmations.entries()].filter(([, s]) => s.size > 1).map(([n]) => n);
    expect(twoIds, 'a confirmation sent under two Message-IDs').to.deep.equal([]);
    if (ack.answered500.length) {
      const logs = [...earlierLogs, portal?.output() ?? ''].join('\n').split('\n');
      note(
        `requests answered 500: ${ack.answered500.join(' | ')}\n${logs
          .filter((l) => l.includes('request failed') && !l.includes('"code":"unavailable"'))
          .map((l) => l.slice(0, 1500))
          .slice(-10)
          .join('\n')}`,
      );
    }
    note(
      `kills: ${ENGINE_KILLS} engine, ${PORTAL_KILLS} portal; ${ack.attempts} requests (${ack.answered5xx} answered 5xx of which ${ack.answered500.length} 500, ${ack.networkErrors} network errors); ` +
        `${numbers.length} tickets, ${received - confirmations.size} confirmations received twice (same Message-ID)`,
    );
    expect(ack.answered500, 'requests answered 500 (a database outage is a 503)').to.deep.equal([]);
  });
});
