import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { MailKey } from '../../../models/mail-key.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SentMail } from '../../../models/sent-mail.js';
import { systemCtx } from '../../../server/domain/context.js';
import { deliverDueMail, enqueueMail } from '../../../server/domain/mail/outbox.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { changeStatus } from '../../../server/domain/tickets/lifecycle.js';
import { threadId } from '../../../server/domain/mail/thread-id.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { makeWorld, type World } from '../../support/factories.js';
import { addressText, ctxFor, eventually, headerOf, sleep } from '../../support/mail-helpers.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { freePort } from '../../support/spawned-portal.js';

const DOMAIN = 'in.desk.test';
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

const complaint = (subject: string) =>
  ticketInputSchema.parse({
    type: 'complaint',
    subject,
    description: 'Il cliente lamenta un addebito doppio.',
    fields: {
      customerName: 'Bianchi',
      customerReference: 'C-77',
      channel: 'phone',
      category: 'billing',
      severity: 'medium',
    },
  });

const aboutTicket = (number: string) => (m: ParsedMail) => headerOf(m, 'x-ticket') === number;

/** Mail the portal sends about tickets, through the outbox, to a real SMTP server. */
describe('outbound ticket mail', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('mail-outbound', { INBOUND_MAIL_DOMAIN: DOMAIN });
    world = await makeWorld();
  });
  after(async () => {
    await tp?.stop();
  });

  it('mails the requester on creation, public staff replies, pending and resolved, in Italian for Acme; never on internal notes', async () => {
    const client = ctxFor(world.users.acmeUser, 'it');
    const operator = ctxFor(world.users.operatorAcme);
    const ticket = await createTicket(client, complaint('Addebito doppio'), 'portal');
    const created = await tp.smtp.waitFor(aboutTicket(ticket.number));
    expect(addressText(created.to)).to.include(world.users.acmeUser.email);
    expect(created.subject).to.equal(`[${ticket.number}] Abbiamo ricevuto la tua richiesta: Addebito doppio`);
    expect(created.text).to.include(`/tickets/${ticket.number}`);
    expect(addressText(created.replyTo)).to.equal(`${world.acme.code}@${DOMAIN}`);
    expect(headerOf(created, 'references')).to.include(threadId(ticket._id));

    await addReply(operator, ticket.number, {
      body: 'Nota interna: controllare con amministrazione.',
      internal: true,
    });
    await addReply(operator, ticket.number, {
      body: 'Abbiamo stornato il secondo addebito.',
      internal: false,
    });
    const replied = await tp.smtp.waitFor(
      (m) => aboutTicket(ticket.number)(m) && (m.subject ?? '').includes('Nuova risposta'),
    );
    expect(replied.text).to.include('Abbiamo stornato il secondo addebito.');

    await changeStatus(operator, ticket.number, 'pending');
    const pending = await tp.smtp.waitFor(
      (m) => aboutTicket(ticket.number)(m) && (m.subject ?? '').includes('Ci serve qualcosa da te'),
    );
    expect(headerOf(pending, 'references')).to.include(threadId(ticket._id));
    await changeStatus(operator, ticket.number, 'resolved');
    await tp.smtp.waitFor(
      (m) => aboutTicket(ticket.number)(m) && (m.subject ?? '').startsWith(`[${ticket.number}] Risolto`),
    );

    // Delivery is in queue order, so the resolved mail arriving means nothing else is on its way.
    await sleep(200);
    const mails = tp.smtp.messages.filter(aboutTicket(ticket.number));
    expect(mails.map((m) => m.subject)).to.deep.equal([
      `[${ticket.number}] Abbiamo ricevuto la tua richiesta: Addebito doppio`,
      `[${ticket.number}] Nuova risposta: Addebito doppio`,
      `[${ticket.number}] Ci serve qualcosa da te: Addebito doppio`,
      `[${ticket.number}] Risolto: Addebito doppio`,
    ]);
    expect(mails.some((m) => (m.text ?? '').includes('Nota interna'))).to.equal(false);
    // Sent mail leaves the outbox for the sent-mail log (right after the send, so allow a moment).
    const rows = await eventually(
      async () => {
        const sent = await SentMail.find({
          tenantId: world.acme._id,
          key: { $regex: `^ticket:${String(ticket._id)}:` },
        }).lean();
        return sent.length === 4 ? sent : null;
      },
      5000,
      'four sent-mail rows',
    );
    expect(rows.every((r) => r.status === 'sent')).to.equal(true);
    expect(
      await OutboxMail.countDocuments({
        tenantId: world.acme._id,
        key: { $regex: `^ticket:${String(ticket._id)}:` },
      }),
    ).to.equal(0);
    // Every mail carries its own Message-ID, the one the outbox row keeps (inbound replies thread by it).
    expect(mails.map((m) => m.messageId).sort()).to.deep.equal(rows.map((r) => r.messageId).sort());
    // Sent and moved out, every event keeps its key: none of them queues a second mail (the
    // creation mail too, which is queued without a key row of its own: the move wrote it).
    expect(await MailKey.countDocuments({ _id: { $in: rows.map((r) => r.key) } })).to.equal(4);
    const again = {
      tenantId: String(world.acme._id),
      to: world.users.acmeUser.email,
      locale: 'it' as const,
      template: 'ticket_created' as const,
      params: {},
    };
    expect(await enqueueMail(client, { ...again, key: `ticket:${String(ticket._id)}:created` })).to.equal(
      false,
    );
    expect(
      await OutboxMail.countDocuments({
        tenantId: world.acme._id,
        key: { $regex: `^ticket:${String(ticket._id)}:` },
      }),
    ).to.equal(0);
  });

  it('mails nobody when a client replies', async () => {
    const client = ctxFor(world.users.acmeUser, 'it');
    const ticket = await createTicket(client, complaint('Risposta del cliente'), 'portal');
    await tp.smtp.waitFor(aboutTicket(ticket.number));
    await addReply(client, ticket.number, { body: 'Aggiungo un dettaglio.', internal: false });
    await sleep(300);
    expect(tp.smtp.messages.filter(aboutTicket(ticket.number))).to.have.length(1);
  });
});

describe('outbound mail: the outbox across an SMTP outage', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let smtpPort: number;
  let sink: SmtpSink | undefined;
  const ctx = () => systemCtx(log, 'test');

  before(async () => {
    smtpPort = await freePort();
    // Nothing listens on SMTP_URL's port yet: the mail server is down.
    tp = await startTestPortal('mail-outage', {
      INBOUND_MAIL_DOMAIN: DOMAIN,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    });
    world = await makeWorld();
  });
  after(async () => {
    await tp?.stop();
    await sink?.close();
  });

  it('keeps the mail while SMTP is down and delivers it exactly once when it is back', async () => {
    const ticket = await createTicket(
      ctxFor(world.users.acmeUser, 'it'),
      complaint('Durante il guasto'),
      'portal',
    );
    const key = `ticket:${String(ticket._id)}:created`;
    // The immediate delivery attempt failed: the row waits, with the reason and a later due time.
    const failed = await eventually(
      async () => {
        const row = await OutboxMail.findOne({ tenantId: world.acme._id, key }).lean();
        return row?.lastError ? row : null;
      },
      5000,
      'a failed delivery attempt',
    );
    expect(failed.status).to.equal('pending');
    expect(failed.attempts).to.equal(1);
    expect(failed.lastError).to.match(/ECONNREFUSED|connect/i);
    expect(failed.nextAttemptAt.getTime()).to.be.greaterThan(Date.now());
    expect(failed.sentAt).to.equal(null);

    // Not due yet: a sweep now sends nothing (and does not burn an attempt).
    sink = await startSmtpSink(smtpPort);
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 0, failed: 0 });

    // Time passes (the backoff is over), the sweep runs.
    await OutboxMail.updateOne(
      { tenantId: world.acme._id, key },
      { $set: { nextAttemptAt: new Date(Date.now() - 1) } },
    );
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 1, failed: 0 });
    const mail = await sink.waitFor(aboutTicket(ticket.number));
    expect(mail.messageId).to.equal(failed.messageId);
    expect(mail.subject).to.include('Abbiamo ricevuto la tua richiesta');

    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 0, failed: 0 });
    await sleep(200);
    expect(sink.messages.filter(aboutTicket(ticket.number))).to.have.length(1);
    const row = await SentMail.findOne({ tenantId: world.acme._id, key }).lean();
    expect(row!.status).to.equal('sent');
    expect(row!.attempts).to.equal(2);
    expect(row!.sentAt).to.be.instanceOf(Date);
    expect(row!.lastError).to.equal(null);
    expect(String(row!._id)).to.equal(String(failed._id));
    expect(await OutboxMail.countDocuments({ tenantId: world.acme._id, key })).to.equal(0);
  });

  it('queues an event once, also after its mail was sent and left the outbox', async () => {
    sink ??= await startSmtpSink(smtpPort);
    const key = `test:once:${randomUUID()}`;
    const input = {
      key,
      tenantId: String(world.acme._id),
      to: 'once@example.test',
      locale: 'en' as const,
      template: 'ticket_resolved' as const,
      params: { name: 'Once', number: 'ONCE-1', subject: 'Once', link: 'http://localhost/x' },
      headers: { 'X-Once': key },
    };
    // Ten at the same moment: the unique key lets exactly one through.
    const queued = await Promise.all(Array.from({ length: 10 }, () => enqueueMail(ctx(), input)));
    expect(queued.filter(Boolean)).to.have.length(1);
    await eventually(
      async () => (await SentMail.countDocuments({ tenantId: world.acme._id, key })) === 1,
      5000,
      'the mail sent and moved',
    );
    expect(await OutboxMail.countDocuments({ tenantId: world.acme._id, key })).to.equal(0);
    // Sent and gone from the outbox: the same event still queues nothing.
    expect(await enqueueMail(ctx(), input)).to.equal(false);
    expect(await OutboxMail.countDocuments({ tenantId: world.acme._id, key })).to.equal(0);
    expect(await MailKey.countDocuments({ _id: key })).to.equal(1);
    await sleep(200);
    expect(sink.messages.filter((m) => headerOf(m, 'x-once') === key)).to.have.length(1);
  });

  /** Rows queued straight into the collection: no `mail.queued` event, so only the calls below deliver. */
  async function queueRows(count: number, overrides: Record<string, unknown> = {}) {
    const batch = randomUUID().slice(0, 8);
    const rows = Array.from({ length: count }, (_, i) => ({
      tenantId: world.acme._id,
      key: `test:${batch}:${i}`,
      to: `reader-${i}@example.test`,
      locale: 'en',
      template: 'ticket_resolved',
      params: { name: `Reader ${i}`, number: `${batch}-${i}`, subject: 'Batch', link: 'http://localhost/x' },
      headers: { 'X-Batch': batch },
      messageId: `<${batch}-${i}@backoffice-desk>`,
      ...overrides,
    }));
    await OutboxMail.insertMany(rows);
    return { batch, rows };
  }

  it('never sends a row twice when two workers deliver at the same time', async () => {
    sink ??= await startSmtpSink(smtpPort);
    const { batch, rows } = await queueRows(30);
    const [a, b] = await Promise.all([deliverDueMail(ctx(), 50), deliverDueMail(ctx(), 50)]);
    expect(a.sent + b.sent).to.equal(30);
    expect(a.failed + b.failed).to.equal(0);
    await eventually(
      async () => sink!.messages.filter((m) => headerOf(m, 'x-batch') === batch).length >= 30,
      5000,
      '30 mails',
    );
    await sleep(200);
    const ids = sink.messages.filter((m) => headerOf(m, 'x-batch') === batch).map((m) => m.messageId);
    expect(ids).to.have.length(30);
    expect(new Set(ids).size).to.equal(30);
    expect([...ids].sort()).to.deep.equal(rows.map((r) => r.messageId).sort());
    const stored = await SentMail.find({
      tenantId: world.acme._id,
      key: { $regex: `^test:${batch}:` },
    }).lean();
    expect(stored).to.have.length(30);
    expect(stored.every((r) => r.status === 'sent' && r.attempts === 1)).to.equal(true);
    expect(
      await OutboxMail.countDocuments({ tenantId: world.acme._id, key: { $regex: `^test:${batch}:` } }),
    ).to.equal(0);
    // Rows queued straight into the outbox had no key row: moving them out recorded their keys.
    expect(await MailKey.countDocuments({ _id: { $in: rows.map((r) => r.key) } })).to.equal(30);
  });

  it('picks up a row stuck in sending past its lock, and leaves a locked one alone', async () => {
    sink ??= await startSmtpSink(smtpPort);
    const stuck = await queueRows(1, {
      status: 'sending',
      attempts: 1,
      lockedUntil: new Date(Date.now() - 1000),
    });
    const locked = await queueRows(1, {
      status: 'sending',
      attempts: 1,
      lockedUntil: new Date(Date.now() + 60_000),
    });
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 1, failed: 0 });
    await sink.waitFor((m) => headerOf(m, 'x-batch') === stuck.batch);
    const [stuckRow] = await SentMail.find({ tenantId: world.acme._id, key: stuck.rows[0]!.key }).lean();
    expect(stuckRow!.status).to.equal('sent');
    expect(stuckRow!.attempts).to.equal(2);
    const [lockedRow] = await OutboxMail.find({ tenantId: world.acme._id, key: locked.rows[0]!.key }).lean();
    expect(lockedRow!.status).to.equal('sending');
    expect(sink.messages.some((m) => headerOf(m, 'x-batch') === locked.batch)).to.equal(false);
  });
});
