import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import { BSON, type Document } from 'mongodb';
import { Types } from 'mongoose';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SentMail } from '../../../models/sent-mail.js';
import { systemCtx } from '../../../server/domain/context.js';
import { closeMailer, configureMailer } from '../../../server/domain/mail/mailer.js';
import { deliverDueMail, enqueueMail, outboxPolicy } from '../../../server/domain/mail/outbox.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { startDbProxy, type DbProxy } from '../../support/db-proxy.js';

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

  /** Between the models and the engine: makes the database fail as it did in production. */
  let proxy: DbProxy;

  before(async () => {
    proxy = await startDbProxy(process.env.TEST_MONGODB_BASE ?? '');
    await connectTestDb('outbox-bounds', proxy.via);
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
    await proxy.close();
  });
  beforeEach(async () => {
    proxy.rule = () => 'pass';
    received.length = 0;
    onAccept = async () => undefined;
    await OutboxMail.deleteMany({}).setOptions({ allTenants: true });
  });

  const queue = (key: string) =>
    enqueueMail(ctx(), {
      key,
      tenantId: null,
      to: 'someone@example.test',
      locale: 'en',
      template: 'password_reset',
      params: { name: 'x', link: 'http://x' },
    });

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
    await OutboxMail.collection.updateOne(
      { key },
      {
        $set: {
          status: 'sending',
          lockedUntil: new Date(Date.now() - 1000),
          attempts: outboxPolicy.maxAttempts,
          claimedBy: 'dead-run',
        },
      },
    );
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

  /** The first update of a command on the outbox, and what it sets the status to. */
  const outboxUpdate = (cmd: Document): { q: Document; status: unknown } | null => {
    if (cmd.update !== 'outboxmails') return null;
    const first = (cmd.updates as Document[])[0] as Document;
    return { q: first.q as Document, status: (first.u as Document).$set?.status };
  };
  /** The command as relaxed JSON: whether it names a row (its _id or key). */
  const names = (cmd: Document, row: { _id: unknown; key: string }): boolean => {
    const text = BSON.EJSON.stringify(cmd);
    return text.includes(String(row._id)) || text.includes(JSON.stringify(row.key));
  };
  /** An update forwarded with `row` left out of its `_id: {$in}`: as an index that lost the row. */
  const without = (cmd: Document, row: { _id: Types.ObjectId }): Document => {
    const [first, ...rest] = cmd.updates as Document[];
    const ids = ((first?.q as Document)._id as Document).$in as Types.ObjectId[];
    return {
      ...cmd,
      updates: [
        { ...first, q: { ...first?.q, _id: { $in: ids.filter((id) => !id.equals(row._id)) } } },
        ...rest,
      ],
    };
  };
  const rowOf = async (key: string) => {
    const row = await OutboxMail.findOne({ key }).setOptions({ allTenants: true }).lean();
    if (!row) throw new Error(`no outbox row ${key}`);
    return row;
  };

  it('stops at once when the connection drops as a sent mark goes out, and sends that one mail again only, under its Message-ID', async () => {
    const keys = [1, 2, 3].map((n) => `bounds-cut-${n}-${Date.now()}`);
    for (const key of keys) await queue(key);
    let cut = 0;
    proxy.rule = (cmd) => (outboxUpdate(cmd)?.status === 'sent' && !cut++ ? 'cut' : 'pass');
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 1, failed: 1 });
    expect(cut).to.equal(1);
    expect(received).to.have.length(1);
    const first = await rowOf(keys[0] as string);
    expect(first.status).to.equal('sending'); // unrecorded: it goes again once its lock runs out
    expect(received[0]?.messageId).to.equal(first.messageId);
    for (const key of keys.slice(1)) expect((await rowOf(key)).status).to.equal('pending');
    // Its lock runs out (outboxPolicy.lockMs): the next run sends all three, that one again.
    await OutboxMail.collection.updateOne(
      { _id: first._id },
      { $set: { lockedUntil: new Date(Date.now() - 1000) } },
    );
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 3, failed: 0 });
    const ids = received.map((m) => m.messageId);
    expect(ids).to.have.length(4);
    expect(ids.filter((id) => id === first.messageId)).to.have.length(2);
    expect(new Set(ids).size).to.equal(3);
  });

  it('records a sent mail by its key when its _id no longer reaches it', async () => {
    const key = `bounds-lost-id-${Date.now()}`;
    await queue(key);
    await queue(`${key}-healthy`);
    const lost = await rowOf(key);
    proxy.rule = (cmd) =>
      outboxUpdate(cmd)?.status === 'sent' && names(cmd, lost) && outboxUpdate(cmd)?.q._id
        ? { forward: without(cmd, lost) }
        : 'pass';
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 2, failed: 0 });
    expect(received).to.have.length(2);
    expect((await SentMail.findOne({ key }).setOptions({ allTenants: true }).lean())?.status).to.equal(
      'sent',
    );
  });

  it('sets aside a finished row whose delete fails inside the index, moves the others, and never serves it again', async () => {
    const key = `bounds-undeletable-${Date.now()}`;
    for (const k of [key, `${key}-a`, `${key}-b`]) await queue(k);
    const bad = await rowOf(key);
    let deletes = 0;
    proxy.rule = (cmd) => {
      if (cmd.delete !== 'outboxmails') return 'pass';
      deletes++;
      return names(cmd, bad)
        ? {
            reply: {
              ok: 0,
              code: 8,
              errmsg: `Found no position for ${String(bad._id)} in H2UniqueIndex[name=_id_]`,
            },
          }
        : 'pass';
    };
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 3, failed: 0 });
    expect(received).to.have.length(3);
    const left = await OutboxMail.find({}).setOptions({ allTenants: true }).lean();
    expect(left.map((r) => [r.key, r.status])).to.deep.equal([[key, 'stuck']]);
    expect(left[0]?.lastError).to.match(/cannot be removed.*H2UniqueIndex/);
    expect(
      await SentMail.countDocuments({ key: { $in: [`${key}-a`, `${key}-b`] } }).setOptions({
        allTenants: true,
      }),
    ).to.equal(2);
    // Set aside: no run claims, sends or tries to remove it again.
    deletes = 0;
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 0, failed: 0 });
    expect(deletes).to.equal(0);
    expect(received).to.have.length(3);
  });

  it('sets aside a due row its claims keep missing, sending the others meanwhile', async () => {
    const key = `bounds-unclaimable-${Date.now()}`;
    await queue(key);
    await queue(`${key}-healthy`);
    const bad = await rowOf(key);
    proxy.rule = (cmd) =>
      outboxUpdate(cmd)?.status === 'sending' && names(cmd, bad) ? { forward: without(cmd, bad) } : 'pass';
    expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 1, failed: 0 });
    for (let run = 2; run <= outboxPolicy.maxMissedClaims; run++)
      expect(await deliverDueMail(ctx())).to.deep.equal({ sent: 0, failed: 0 });
    const aside = await rowOf(key);
    expect(aside.status).to.equal('stuck');
    expect(aside.lastError).to.match(new RegExp(`missed by ${outboxPolicy.maxMissedClaims} claims`));
    expect(received).to.have.length(1);
  });
});
