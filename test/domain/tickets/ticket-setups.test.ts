import { expect } from 'chai';
import { BSON } from 'mongodb';
import mongoose, { Types } from 'mongoose';
import { Attachment } from '../../../models/attachment.js';
import { pino } from 'pino';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { TicketSetup } from '../../../models/ticket-setup.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { systemCtx } from '../../../server/domain/context.js';
import { completeTicketSetups, setupRepairPolicy } from '../../../server/domain/tickets/complete-setups.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { startDbProxy, type DbProxy } from '../../support/db-proxy.js';
import { makeWorld, type World } from '../../support/factories.js';
import { pdfBytes, pngBytes } from '../../support/api.js';
import { complaintInput, ctxOf } from '../../support/tickets.js';

const ctx = () => systemCtx(pino({ level: 'silent' }), 'test');
const later = () => new Date(Date.now() + 60_000);

/** Issue 13, item 3: a ticket creation a crash interrupted is finished by the repair, once. */
describe('ticket creations interrupted by a crash', function () {
  this.timeout(30_000);
  let world: World;
  /** Between the models and the engine: lets a test make one row's writes fail. */
  let proxy: DbProxy;
  before(async () => {
    proxy = await startDbProxy(process.env.TEST_MONGODB_BASE ?? '');
    await connectTestDb('ticket-setups', proxy.via);
    world = await makeWorld();
  });
  beforeEach(() => {
    proxy.rule = () => 'pass';
  });
  after(async () => {
    await dropAndDisconnect();
    await proxy.close();
  });

  it('leaves no setup row behind a completed creation', async () => {
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      complaintInput('Complete'),
      'portal',
    );
    expect(await TicketSetup.countDocuments({ _id: ticket._id })).to.equal(0);
    expect(
      await TimelineEntry.countDocuments({ tenantId: world.acme._id, ticketId: ticket._id, kind: 'created' }),
    ).to.equal(1);
  });

  it('writes the created entry and the confirmation mail of a ticket stored without them, once, however often it runs', async () => {
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      complaintInput('Interrupted'),
      'portal',
    );
    // As a crash right after the ticket's insert leaves it: the setup row, no history, no mail.
    await TimelineEntry.deleteMany({ tenantId: world.acme._id, ticketId: ticket._id });
    await OutboxMail.deleteMany({ tenantId: world.acme._id, key: `ticket:${String(ticket._id)}:created` });
    await TicketSetup.create({
      _id: ticket._id,
      tenantId: world.acme._id,
      notify: true,
      createdAt: new Date(),
    });
    // Too young: its request may still be running.
    expect(await completeTicketSetups(ctx())).to.deep.equal({ completed: 0, dropped: 0, failed: 0 });
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 1, dropped: 0, failed: 0 });
    // A second node, or a repeat after the repair itself died mid-way.
    await TicketSetup.create({
      _id: ticket._id,
      tenantId: world.acme._id,
      notify: true,
      createdAt: new Date(),
    });
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 1, dropped: 0, failed: 0 });
    const entries = await TimelineEntry.find({ tenantId: world.acme._id, ticketId: ticket._id }).lean();
    expect(entries.map((e) => e.kind)).to.deep.equal(['created']);
    expect(entries[0]?.author?.name).to.equal(world.users.acmeUser.name);
    expect(
      await OutboxMail.countDocuments({
        tenantId: world.acme._id,
        key: `ticket:${String(ticket._id)}:created`,
      }),
    ).to.equal(1);
    expect(await TicketSetup.countDocuments({ _id: ticket._id })).to.equal(0);
  });

  it('drops the setup row of a ticket that was never stored', async () => {
    const id = new Types.ObjectId();
    await TicketSetup.create({ _id: id, tenantId: world.acme._id, notify: true, createdAt: new Date() });
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 0, dropped: 1, failed: 0 });
    expect(await Ticket.countDocuments({ tenantId: world.acme._id, _id: id })).to.equal(0);
    expect(await TicketSetup.countDocuments({ _id: id })).to.equal(0);
  });

  it('links the attachments a crash let through and removes the bytes of uploads it cut short', async () => {
    const files = [
      { filename: 'kept.png', buffer: pngBytes() },
      { filename: 'cut.pdf', buffer: pdfBytes() },
    ];
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      complaintInput('Attachments interrupted'),
      'portal',
      files,
    );
    const stored = await Attachment.find({ tenantId: world.acme._id, ticketId: ticket._id })
      .sort({ filename: 1 })
      .lean();
    expect(stored.map((a) => a.filename)).to.deep.equal(['cut.pdf', 'kept.png']);
    const [cut, kept] = stored as [(typeof stored)[0], (typeof stored)[0]];
    const db = mongoose.connection.db;
    if (!db) throw new Error('not connected');
    const filesOf = (id: Types.ObjectId) => db.collection('attachments.files').countDocuments({ _id: id });
    const chunksOf = (id: Types.ObjectId) =>
      db.collection('attachments.chunks').countDocuments({ files_id: id });
    // As a crash leaves it: one file in full, one whose bytes are in but not its row, one whose
    // upload had written a first chunk only, no `created` entry.
    await Attachment.collection.deleteOne({ _id: cut._id });
    const partial = new Types.ObjectId();
    await db
      .collection('attachments.chunks')
      .insertOne({ files_id: partial, n: 0, data: Buffer.from('partial') });
    const never = new Types.ObjectId();
    await TimelineEntry.deleteMany({ tenantId: world.acme._id, ticketId: ticket._id });
    await TicketSetup.create({
      _id: ticket._id,
      tenantId: world.acme._id,
      notify: false,
      fileIds: [kept.fileId, cut.fileId, partial, never],
      createdAt: new Date(),
    });
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 1, dropped: 0, failed: 0 });
    const entry = await TimelineEntry.findOne({
      tenantId: world.acme._id,
      ticketId: ticket._id,
      kind: 'created',
    }).lean();
    expect(entry?.attachmentIds?.map(String)).to.deep.equal([String(kept._id)]);
    expect(await filesOf(kept.fileId)).to.equal(1);
    expect(await chunksOf(kept.fileId)).to.be.greaterThan(0);
    for (const gone of [cut.fileId, partial]) {
      expect(await filesOf(gone)).to.equal(0);
      expect(await chunksOf(gone)).to.equal(0);
    }
  });

  it('removes what was stored for a ticket that was never stored', async () => {
    const id = new Types.ObjectId();
    const [row] = await Attachment.insertMany([
      {
        tenantId: world.acme._id,
        ticketId: id,
        fileId: new Types.ObjectId(),
        filename: 'x.png',
        contentType: 'image/png',
        size: 1,
        sha256: 'x',
      },
    ]);
    await TicketSetup.create({
      _id: id,
      tenantId: world.acme._id,
      notify: true,
      fileIds: row ? [row.fileId] : [],
      createdAt: new Date(),
    });
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 0, dropped: 1, failed: 0 });
    expect(await Attachment.countDocuments({ tenantId: world.acme._id, ticketId: id })).to.equal(0);
  });

  it('sets aside a creation it keeps failing to finish, after a few runs, and finishes the others meanwhile', async () => {
    const bad = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      complaintInput('Cannot be finished'),
      'portal',
    );
    const good = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      complaintInput('Finished meanwhile'),
      'portal',
    );
    await TimelineEntry.deleteMany({ tenantId: world.acme._id, ticketId: { $in: [bad._id, good._id] } });
    await TicketSetup.create({
      _id: bad._id,
      tenantId: world.acme._id,
      notify: false,
      createdAt: new Date(),
    });
    await TicketSetup.create({
      _id: good._id,
      tenantId: world.acme._id,
      notify: false,
      createdAt: new Date(),
    });
    // The database refuses this ticket's created entry, every time.
    let refused = 0;
    proxy.rule = (cmd) => {
      if (cmd.insert !== 'timelineentries' || !BSON.EJSON.stringify(cmd).includes(String(bad._id)))
        return 'pass';
      refused++;
      return { reply: { ok: 0, code: 8, errmsg: 'the disk is full' } };
    };
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 1, dropped: 0, failed: 1 });
    expect(
      await TimelineEntry.countDocuments({ tenantId: world.acme._id, ticketId: good._id, kind: 'created' }),
    ).to.equal(1);
    for (let run = 2; run <= setupRepairPolicy.maxAttempts; run++)
      expect(await completeTicketSetups(ctx(), later())).to.deep.equal({
        completed: 0,
        dropped: 0,
        failed: 1,
      });
    const aside = await TicketSetup.findOne({ _id: bad._id }).lean();
    expect(aside).to.include({ stuck: true, attempts: setupRepairPolicy.maxAttempts });
    expect(aside?.lastError).to.match(/disk is full/);
    // Set aside: not tried again.
    refused = 0;
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 0, dropped: 0, failed: 0 });
    expect(refused).to.equal(0);
    await TicketSetup.deleteOne({ _id: bad._id });
  });
});
