import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { IdempotencyKey } from '../../../models/idempotency-key.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SentMail } from '../../../models/sent-mail.js';
import { TicketSetup } from '../../../models/ticket-setup.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { bodies, tokenOf } from '../../support/api.js';
import { crashRig } from '../../support/crash-rig.js';
import { eventually, sleep } from '../../support/mail-helpers.js';
import { spawnPortal } from '../../support/spawned-portal.js';

/**
 * Issue 13, item 3: a portal killed with -9 in the middle of a stream of API ticket creations
 * (each with its own Idempotency-Key), then a fresh portal on the same database. CLIENTS loops
 * open tickets on portal A (its own process, jobs on, mail to a real SMTP sink here); once
 * KILL_AT tickets are stored, A gets SIGKILL: requests in flight die between any two of their
 * writes (setup row, ticket, created entry, confirmation mail, key answer). Portal B starts on
 * the same database (the test run's engine, which survives: a portal crash, not a database
 * crash), every key is sent again with its body, and the repair (tickets.complete-setups, every
 * 15 s for rows older than 30 s) and the outbox (A's claimed mail waits for its 60 s lock) finish.
 * About 100 s, most of it waiting for those two.
 *
 * What must hold: one ticket per key; a retry of a key whose ticket exists answers that ticket at
 * once (201, Idempotent-Replayed, never 409), and a key whose first attempt was answered gets the
 * same id; every ticket has exactly one `created` entry and exactly one confirmation mail row,
 * sent, received by the sink under one Message-ID (twice only when it was in flight at the kill,
 * then with the same Message-ID); no setup row left.
 */
const CLIENTS = Number(process.env.CREATE_CRASH_CLIENTS ?? 8);
const KILL_AT = Number(process.env.CREATE_CRASH_KILL_AT ?? 40);
const PREFIX = 'Crash-create';

const note = (line: string): void => {
  process.stdout.write(`      [create-crash] ${line}\n`);
};

interface Attempt {
  key: string;
  body: Record<string, unknown>;
  /** The ticket id of the first attempt's answer, when it got one. */
  answered: string | null;
}

describe('ticket creation: a portal killed with -9 mid-intake, then a fresh one', function () {
  this.timeout(300_000);
  const rig = crashRig('create-crash');

  it('leaves every stored ticket with its created entry and confirmation mail once, and every key bound to one ticket', async () => {
    const { smtp, world, uri, portals } = rig;
    const tenantId = world.acme._id;
    const { token } = await tokenOf(world.users.acmeAdmin, 'Crash test');
    const env = {
      MONGODB_URI: uri,
      JOBS_ENABLED: 'true',
      SMTP_URL: smtp.url,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      // Retries of 409s on a slow machine pass the default 120 a minute; the limiter is not under test.
      API_RATE_LIMIT: '100000',
    };
    const post = (url: string, a: Attempt) =>
      fetch(`${url}/api/v1/tickets`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': a.key,
        },
        body: JSON.stringify(a.body),
      });

    const a = await spawnPortal(env);
    portals.push(a);
    const attempts: Attempt[] = [];
    let stop = false;
    const client = async (): Promise<void> => {
      while (!stop) {
        const key = randomUUID();
        const attempt: Attempt = {
          key,
          body: bodies.complaint({ subject: `${PREFIX} ${key}` }),
          answered: null,
        };
        attempts.push(attempt);
        try {
          const res = await post(a.url, attempt);
          const json = (await res.json()) as { id?: string };
          if (res.status === 201 && json.id) attempt.answered = json.id;
          else throw new Error(`first attempt answered ${res.status}: ${JSON.stringify(json)}`);
        } catch (err) {
          if (stop) return; // the kill: this attempt's outcome is for the retry to find
          throw err;
        }
      }
    };
    const stream = Promise.all(Array.from({ length: CLIENTS }, client));
    const storedTickets = () => Ticket.countDocuments({ tenantId, subject: { $regex: `^${PREFIX} ` } });
    const createdEntries = () => TimelineEntry.countDocuments({ tenantId, kind: 'created' });
    const entriesBefore = await createdEntries();
    // Past KILL_AT, the kill waits (10 s at most) for a moment when a stored ticket has no created
    // entry yet (counted after the tickets, so a gap seen is real): a creation mid-way.
    let reachedAt = 0;
    let gapSeen = false;
    await eventually(
      async () => {
        const stored = await storedTickets();
        if (stored < KILL_AT) return false;
        reachedAt ||= Date.now();
        gapSeen = stored > (await createdEntries()) - entriesBefore;
        return gapSeen || Date.now() - reachedAt > 10_000;
      },
      120_000,
      `${KILL_AT} tickets stored through portal A`,
    );
    stop = true;
    const killed = await a.signal('SIGKILL');
    note(
      `killed ${gapSeen ? 'while a stored ticket had no created entry yet' : 'without seeing a creation mid-way'}`,
    );
    expect(killed.code).to.equal(null);
    await stream;
    await sleep(300); // commands A had already sent land anyway

    const ticketsAtKill = await Ticket.find({ tenantId, subject: { $regex: `^${PREFIX} ` } }).lean();
    const createdAtKill = new Set(
      (await TimelineEntry.find({ tenantId, kind: 'created' }).lean()).map((e) => String(e.ticketId)),
    );
    const setupsAtKill = await TicketSetup.countDocuments({ tenantId });
    const sendingAtKill = await OutboxMail.find({ tenantId, status: 'sending' }).lean();
    const inFlight = new Set(sendingAtKill.map((r) => r.messageId));
    const unanswered = attempts.filter((x) => !x.answered);
    const storedUnanswered = unanswered.filter((x) =>
      ticketsAtKill.some((t) => t.subject === x.body.subject),
    ).length;
    note(
      `killed portal A after ${attempts.length} attempts (${unanswered.length} unanswered, ${storedUnanswered} of them stored); ${ticketsAtKill.length} tickets, ` +
        `${ticketsAtKill.filter((t) => !createdAtKill.has(String(t._id))).length} without their created entry, ${setupsAtKill} setup rows, ${sendingAtKill.length} mails in flight`,
    );

    const b = await spawnPortal(env);
    portals.push(b);
    // Every key again, with its body. A key whose ticket exists is answered with it at once.
    const ticketOfSubject = new Map(ticketsAtKill.map((t) => [t.subject, String(t._id)]));
    let conflicts = 0;
    const retried = new Map<string, string>();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, lane) => {
        for (const attempt of attempts.filter((_x, i) => i % CLIENTS === lane)) {
          const existing = ticketOfSubject.get(String(attempt.body.subject));
          for (;;) {
            const res = await post(b.url, attempt);
            const json = (await res.json()) as { id?: string };
            if (res.status === 409) {
              expect(existing, `409 for ${attempt.key}, whose ticket exists`).to.equal(undefined);
              conflicts++;
              await sleep(1000);
              continue;
            }
            expect(res.status, JSON.stringify(json)).to.equal(201);
            if (existing) {
              expect(json.id, attempt.key).to.equal(existing);
              expect(res.headers.get('idempotent-replayed')).to.equal('true');
            }
            if (attempt.answered) expect(json.id, attempt.key).to.equal(attempt.answered);
            retried.set(attempt.key, json.id as string);
            break;
          }
        }
      }),
    );
    note(
      `every key retried on portal B; ${conflicts} answers 409 (keys without a ticket whose dead attempt still held its lock)`,
    );

    await eventually(
      async () => (await TicketSetup.countDocuments({ tenantId })) === 0,
      90_000,
      'the repair finishing every interrupted creation',
    );
    const tickets = await Ticket.find({ tenantId, subject: { $regex: `^${PREFIX} ` } }).lean();
    await eventually(
      async () => {
        if (await OutboxMail.countDocuments({ tenantId })) return false;
        const numbers = new Set(smtp.messages.map((m) => m.headers.get('x-ticket')));
        return tickets.every((t) => numbers.has(t.number));
      },
      150_000,
      'every confirmation mail sent and received',
    );
    await sleep(1000); // anything late would show in the counts below

    // One ticket per key, the one every retry answered.
    expect(tickets).to.have.length(attempts.length);
    const bySubject = new Map(tickets.map((t) => [t.subject, String(t._id)]));
    for (const attempt of attempts)
      expect(bySubject.get(String(attempt.body.subject)), attempt.key).to.equal(retried.get(attempt.key));
    const keys = await IdempotencyKey.find({ tenantId, key: { $in: attempts.map((x) => x.key) } }).lean();
    expect(keys).to.have.length(attempts.length);
    for (const k of keys) {
      expect(k.state, k.key).to.equal('done');
      expect((k.response?.body as { id?: string } | undefined)?.id, k.key).to.equal(retried.get(k.key));
    }

    // Exactly one created entry per ticket.
    const ids = tickets.map((t) => t._id);
    const created = await TimelineEntry.find({ tenantId, kind: 'created', ticketId: { $in: ids } }).lean();
    expect(created).to.have.length(tickets.length);
    expect(new Set(created.map((e) => String(e.ticketId))).size).to.equal(tickets.length);

    // Exactly one confirmation mail row per ticket, sent; received under that one Message-ID.
    const rows = await SentMail.find({
      tenantId,
      key: { $in: ids.map((id) => `ticket:${String(id)}:created`) },
    }).lean();
    expect(rows).to.have.length(tickets.length);
    expect(
      rows.filter((r) => r.status !== 'sent').map((r) => `${r.key} ${r.status} ${r.lastError ?? ''}`),
    ).to.deep.equal([]);
    let repeats = 0;
    for (const t of tickets) {
      const row = rows.find((r) => r.key === `ticket:${String(t._id)}:created`);
      const received = smtp.messages.filter((m) => m.headers.get('x-ticket') === t.number);
      expect(new Set(received.map((m) => m.messageId)), t.number).to.deep.equal(new Set([row?.messageId]));
      if (received.length > 1) {
        expect(
          inFlight.has(row?.messageId ?? ''),
          `${t.number} received twice without being in flight at the kill`,
        ).to.equal(true);
        expect(received).to.have.length(2);
        repeats++;
      }
    }
    const repaired = b
      .output()
      .split('\n')
      .filter((l) => l.includes('ticket creation completed after an interruption')).length;
    note(
      `${tickets.length} tickets, ${repaired} creations completed by the repair, ${repeats} confirmation mails received twice (in flight at the kill, same Message-ID)`,
    );
  });
});
