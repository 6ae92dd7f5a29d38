import { expect } from 'chai';
import { pino } from 'pino';
import { Attachment } from '../../../models/attachment.js';
import { AuditChainMark } from '../../../models/audit-chain-mark.js';
import { AuditEvent } from '../../../models/audit-event.js';
import { InboundMessage } from '../../../models/inbound-message.js';
import { LegalHold } from '../../../models/legal-hold.js';
import { RetentionPolicy } from '../../../models/retention-policy.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { systemCtx } from '../../../server/domain/context.js';
import { purgeExpired } from '../../../server/domain/housekeeping/purge-expired.js';
import {
  finishInterruptedPurges,
  previewPurge,
  purgeExpiredData,
} from '../../../server/domain/retention/purge-expired-data.js';
import { removeAttachment } from '../../../server/domain/retention/ticket-data.js';
import { appendChained } from '../../../server/domain/audit/audit-chain.js';
import { recordAudit } from '../../../server/domain/audit/audit.js';
import { verifyAuditChain } from '../../../server/domain/audit/verify-audit-chain.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { makeAttachment, makeTicket } from '../../support/tickets.js';
import { mentionsOf as mentionsAll } from '../../support/mentions.js';

const sys = () => systemCtx(pino({ level: 'silent' }), 'purge-test');
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

/** The collections that still mention the id (test/support/mentions.ts), by name with a count of 1. */
async function mentionsOf(id: { toString(): string }): Promise<Record<string, number>> {
  const found = (await mentionsAll(id))[String(id)] ?? [];
  return Object.fromEntries(found.map((name) => [name, 1]));
}

async function closedTicket(world: World, daysAgo: number, subject: string) {
  const ticket = await makeTicket(world.users.acmeUser, world.acme, subject);
  const file = await makeAttachment(world.users.acmeUser, world.acme, ticket);
  await Ticket.updateOne(
    { _id: ticket._id, tenantId: world.acme._id },
    { $set: { status: 'closed', closedAt: ago(daysAgo) } },
  );
  return { ticket, file };
}

/** Issue 20, item 3: the purge deletes exactly what expired, everywhere, keeps what is held, and resumes. */
describe('retention purge (domain)', function () {
  this.timeout(120_000);
  let world: World;
  before(async () => {
    await connectTestDb('retention-purge');
    world = await makeWorld();
    // Acme keeps tickets two years from closing and their files one year.
    await RetentionPolicy.create({
      tenantId: world.acme._id,
      country: 'IT',
      rules: [
        { kind: 'tickets', years: 2, months: 0, start: 'ticket_closed' },
        { kind: 'attachments', years: 1, months: 0, start: 'ticket_closed' },
      ],
    });
  });
  after(dropAndDisconnect);

  it('deletes expired tickets from every collection and GridFS, files of kept tickets, and nothing else', async () => {
    const gone = await closedTicket(world, 3 * 365, 'Expired');
    const recent = await closedTicket(world, 30, 'Closed last month');
    const ticketHeld = await closedTicket(world, 3 * 365, 'Held ticket');
    const fileHeld = await closedTicket(world, 3 * 365, 'Held file');
    const filesOnly = await closedTicket(world, 500, 'Files expired, ticket kept');
    const open = await makeTicket(world.users.acmeUser, world.acme, 'Still open');
    await InboundMessage.create({
      tenantId: world.acme._id,
      messageId: '<old@mail>',
      status: 'done',
      ticketId: recent.ticket._id,
      doneAt: ago(400),
    });
    const holder = { id: world.users.accountManager._id, name: 'AM' };
    await LegalHold.create([
      {
        tenantId: world.acme._id,
        scope: 'ticket',
        targetId: ticketHeld.ticket._id,
        reason: 'Dispute',
        placedBy: holder,
      },
      {
        tenantId: world.acme._id,
        scope: 'document',
        targetId: fileHeld.file._id,
        reason: 'Audit',
        placedBy: holder,
      },
    ]);
    expect(Object.keys(await mentionsOf(gone.ticket._id))).to.include.members([
      'tickets',
      'timelineentries',
      'attachments',
    ]);
    expect(await mentionsOf(gone.file.fileId)).to.include.keys('attachments.files', 'attachments.chunks');

    const [plan] = (await previewPurge(sys())).filter((p) => String(p.tenant._id) === world.acme.id);
    expect(plan?.tickets.ids.map(String)).to.deep.equal([String(gone.ticket._id)]);
    expect(plan?.tickets.held).to.equal(2);
    expect(plan?.tickets.bytes).to.equal(gone.file.size);
    expect(plan?.files.rows.map((r) => String(r._id))).to.deep.equal([String(filesOnly.file._id)]);
    expect(plan?.inboundMail.count).to.equal(1);
    expect(
      await Ticket.exists({ _id: gone.ticket._id, tenantId: world.acme._id }),
      'a dry run deletes nothing',
    ).to.not.equal(null);

    const results = await purgeExpiredData(sys());
    const acme = results.find((r) => r.tenantId === world.acme.id);
    expect(acme).to.deep.include({ tickets: 1, files: 2, inboundMail: 1 });

    expect(await mentionsOf(gone.ticket._id), 'no trace of the purged ticket').to.deep.equal({});
    expect(await mentionsOf(gone.file.fileId)).to.deep.equal({});
    expect(await mentionsOf(filesOnly.file.fileId), 'an expired file of a kept ticket').to.deep.equal({});
    expect(await Ticket.exists({ _id: filesOnly.ticket._id, tenantId: world.acme._id })).to.not.equal(null);
    for (const kept of [recent, ticketHeld, fileHeld]) {
      expect(await Ticket.exists({ _id: kept.ticket._id, tenantId: world.acme._id })).to.not.equal(null);
      expect(await Attachment.exists({ _id: kept.file._id, tenantId: world.acme._id })).to.not.equal(null);
      expect(await mentionsOf(kept.file.fileId)).to.include.keys('attachments.files', 'attachments.chunks');
    }
    expect(await Ticket.exists({ _id: open._id, tenantId: world.acme._id })).to.not.equal(null);
    expect(
      await TimelineEntry.countDocuments({ tenantId: world.acme._id, ticketId: recent.ticket._id }),
    ).to.be.above(0);

    const audit = await AuditEvent.findOne({ action: 'retention.purged', tenantId: world.acme._id })
      .setOptions({ allTenants: true })
      .lean();
    expect(audit?.details).to.deep.include({ tickets: 1, files: 2, inboundMail: 1 });
    expect(audit?.chain?.seq).to.be.a('number');
    expect((await verifyAuditChain(sys())).ok).to.equal(true);

    const again = (await purgeExpiredData(sys())).find((r) => r.tenantId === world.acme.id);
    expect(again).to.deep.include({ tickets: 0, files: 0, inboundMail: 0 });
  });

  it('keeps everything of a client on hold, then purges once the hold is released', async () => {
    const expired = await closedTicket(world, 3 * 365, 'Client on hold');
    const hold = await LegalHold.create({
      tenantId: world.acme._id,
      scope: 'tenant',
      targetId: world.acme._id,
      reason: 'Tax inspection',
      placedBy: { id: world.users.admin._id, name: 'Admin' },
    });
    const [plan] = (await previewPurge(sys())).filter((p) => String(p.tenant._id) === world.acme.id);
    expect(plan?.tickets.ids).to.deep.equal([]);
    expect(plan?.tickets.held).to.be.at.least(1);
    await purgeExpiredData(sys());
    expect(await Ticket.exists({ _id: expired.ticket._id, tenantId: world.acme._id })).to.not.equal(null);
    await LegalHold.updateOne(
      { _id: hold._id, tenantId: world.acme._id },
      { $set: { releasedAt: new Date() } },
    );
    await purgeExpiredData(sys());
    expect(await mentionsOf(expired.ticket._id)).to.deep.equal({});
  });

  it('finishes a ticket a crash left half deleted, whatever was already gone', async () => {
    const cut = await closedTicket(world, 3 * 365, 'Cut short');
    // A worker marked the ticket and removed its file, then died.
    await Ticket.updateOne(
      { _id: cut.ticket._id, tenantId: world.acme._id },
      { $set: { purgingAt: new Date() } },
    );
    await removeAttachment(world.acme._id, cut.file);
    expect(await finishInterruptedPurges()).to.equal(1);
    expect(await mentionsOf(cut.ticket._id)).to.deep.equal({});
    expect(await finishInterruptedPurges()).to.equal(0);
  });

  it('trims the hash chain once every client audit period is over, and the chain still verifies', async () => {
    // A chain that starts with an entry from twenty years ago (the chain is trimmed from its start).
    await AuditEvent.deleteMany({ chain: { $exists: true } }).setOptions({ allTenants: true });
    await AuditChainMark.deleteMany({});
    const old = { at: new Date(Date.now() - 20 * 365 * DAY), action: 'retention.policy_saved' as const };
    await appendChained({
      ...old,
      tenantId: world.acme._id,
      actorId: null,
      targetId: null,
      details: { old: true },
    });
    await recordAudit(sys(), {
      action: 'retention.policy_saved',
      tenantId: world.acme.id,
      details: { recent: true },
    });
    await purgeExpiredData(sys());
    const left = await AuditEvent.find({ chain: { $exists: true } })
      .setOptions({ allTenants: true })
      .lean();
    expect(left.some((e) => (e.details as { old?: boolean }).old)).to.equal(false);
    expect(left.some((e) => (e.details as { recent?: boolean }).recent)).to.equal(true);
    expect((await verifyAuditChain(sys())).ok).to.equal(true);
  });

  it('leaves inbound mail records to retention: the maintenance purge keeps one past 90 days of a held ticket', async () => {
    const { ticket } = await closedTicket(world, 10, 'Held mail');
    const hold = await LegalHold.create({
      tenantId: world.acme._id,
      scope: 'ticket',
      targetId: ticket._id,
      reason: 'Dispute',
      placedBy: { id: world.users.accountManager._id, name: 'AM' },
    });
    const row = await InboundMessage.create({
      tenantId: world.acme._id,
      messageId: '<held-mail@mail>',
      status: 'done',
      ticketId: ticket._id,
      claimedAt: ago(400),
      doneAt: ago(400),
    });
    await purgeExpired(sys());
    await purgeExpiredData(sys());
    expect(await InboundMessage.countDocuments({ _id: row._id, tenantId: world.acme._id })).to.equal(1);
    await LegalHold.updateOne(
      { _id: hold._id, tenantId: world.acme._id },
      { $set: { releasedAt: new Date(), activeKey: `released:${String(hold._id)}` } },
    );
  });
});
