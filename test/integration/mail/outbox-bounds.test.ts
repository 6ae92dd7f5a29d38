import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import { Types } from 'mongoose';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SentMail } from '../../../models/sent-mail.js';
import { systemCtx } from '../../../server/domain/context.js';
import { closeMailer, configureMailer } from '../../../server/domain/mail/mailer.js';
import { deliverDueMail, enqueueMail, outboxPolicy } from '../../../server/domain/mail/outbox.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';

const log = pino({ level: 'silent' });
const ctx = () => systemCtx(log, 'test');

/**
 * Issue 13, items 4 and 5: the outbox never sends on while the database cannot record what it
 * sent, and a row it cannot finish is set aside instead of being sent again and again.
 */
describe('outbox: bounded by what the database records', function () {
  this.timeout(30_000);
  let server: SMTPServer;
  const received: Array<{ messageId: string; subject: string }> = [];
  /** Runs when the SMTP server accepts a message, before the portal hears back. */
  let onAccept: (messageId: string) => Promise<void> = async () => undefined;

  before(async () => {
    await connectTestDb('outbox-bounds');
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then(async (mail) => {
            received.push({ messageId: String(mail.messageId), subject: String(mail.subject) });
            await onAccept(String(mail.messageId));
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.server.address() as AddressInfo).port;
    configureMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'Desk <desk@example.test>', log });
  });
  after(async () => {
    closeMailer();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dropAndDisconnect();
  });
  beforeEach(async () => {
    received.length = 0;
    onAccept = async () => undefined;
    await OutboxMail.deleteMany({}).setOptions({ allTenants: true });
  });

  const queue = (key: string) =>
    enqueueMail(ctx(), { key, tenantId: null, to: 'someone@example.test', locale: 'en', template: 'password_reset', params: { name: 'x', link: 'http://x' } });

  it('sends nothing more once a sent mail cannot be recorded, and leaves the rest waiting', async () => {
    for (const n of [1, 2, 3]) await queue(`bounds-mark-${n}-${Date.now()}`);
    // The database loses the first row while its mail is being accepted: its "sent" mark matches nothing.
    onAccept = async (messageId) => {
      await OutboxMail.collection.deleteOne({ messageId });
    };
    const result = await deliverDueMail(ctx());
    expect(result).to.deep.equal({ sent: 1, failed: 1 });
    expect(received).to.have.length(1);
    const waiting = await OutboxMail.find({}).setOptions({ allTenants: true }).lean();
    expect(waiting).to.have.length(2);
    for (const row of waiting) {
      expect(row.status).to.equal('pending');
      expect(row.attempts).to.equal(0);
    }
    // The next run, with a database that records again, sends the rest once each.
    onAccept = async () => undefined;
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 2, failed: 0 });
    expect(received).to.have.length(3);
  });

  it('sets aside a row claimed more often than it may be tried, without sending it, and sends the others', async () => {
    const key = `bounds-aside-${Date.now()}`;
    await queue(key);
    await queue(`${key}-healthy`);
    // A row whose runs kept dying after claiming it: `sending`, its lock run out, every attempt used.
    await OutboxMail.collection.updateOne({ key }, { $set: { status: 'sending', lockedUntil: new Date(Date.now() - 1000), attempts: outboxPolicy.maxAttempts, claimedBy: 'dead-run' } });
    const result = await deliverDueMail(ctx());
    expect(result).to.deep.equal({ sent: 1, failed: 0 });
    expect(received).to.have.length(1);
    expect(await OutboxMail.countDocuments({}).setOptions({ allTenants: true })).to.equal(0);
    const aside = await SentMail.findOne({ key }).setOptions({ allTenants: true }).lean();
    expect(aside?.status).to.equal('failed');
    expect(aside?.lastError).to.match(/set aside/);
    expect(String(aside?._id)).to.match(/^[0-9a-f]{24}$/);
    expect(Types.ObjectId.isValid(String(aside?._id))).to.equal(true);
  });
});
