import { expect } from 'chai';
import { Types } from 'mongoose';
import { pino } from 'pino';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { TicketSetup } from '../../../models/ticket-setup.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { systemCtx } from '../../../server/domain/context.js';
import { completeTicketSetups } from '../../../server/domain/tickets/complete-setups.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { complaintInput, ctxOf } from '../../support/tickets.js';

const ctx = () => systemCtx(pino({ level: 'silent' }), 'test');
const later = () => new Date(Date.now() + 60_000);

/** Issue 13, item 3: a ticket creation a crash interrupted is finished by the repair, once. */
describe('ticket creations interrupted by a crash', function () {
  this.timeout(30_000);
  let world: World;
  before(async () => {
    await connectTestDb('ticket-setups');
    world = await makeWorld();
  });
  after(dropAndDisconnect);

  it('leaves no setup row behind a completed creation', async () => {
    const ticket = await createTicket(ctxOf(world.users.acmeUser, world.acme), complaintInput('Complete'), 'portal');
    expect(await TicketSetup.countDocuments({ _id: ticket._id })).to.equal(0);
    expect(await TimelineEntry.countDocuments({ tenantId: world.acme._id, ticketId: ticket._id, kind: 'created' })).to.equal(1);
  });

  it('writes the created entry and the confirmation mail of a ticket stored without them, once, however often it runs', async () => {
    const ticket = await createTicket(ctxOf(world.users.acmeUser, world.acme), complaintInput('Interrupted'), 'portal');
    // As a crash right after the ticket's insert leaves it: the setup row, no history, no mail.
    await TimelineEntry.deleteMany({ tenantId: world.acme._id, ticketId: ticket._id });
    await OutboxMail.deleteMany({ tenantId: world.acme._id, key: `ticket:${String(ticket._id)}:created` });
    await TicketSetup.create({ _id: ticket._id, tenantId: world.acme._id, notify: true, createdAt: new Date() });
    // Too young: its request may still be running.
    expect(await completeTicketSetups(ctx())).to.deep.equal({ completed: 0, dropped: 0 });
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 1, dropped: 0 });
    // A second node, or a repeat after the repair itself died mid-way.
    await TicketSetup.create({ _id: ticket._id, tenantId: world.acme._id, notify: true, createdAt: new Date() });
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 1, dropped: 0 });
    const entries = await TimelineEntry.find({ tenantId: world.acme._id, ticketId: ticket._id }).lean();
    expect(entries.map((e) => e.kind)).to.deep.equal(['created']);
    expect(entries[0]?.author?.name).to.equal(world.users.acmeUser.name);
    expect(await OutboxMail.countDocuments({ tenantId: world.acme._id, key: `ticket:${String(ticket._id)}:created` })).to.equal(1);
    expect(await TicketSetup.countDocuments({ _id: ticket._id })).to.equal(0);
  });

  it('drops the setup row of a ticket that was never stored', async () => {
    const id = new Types.ObjectId();
    await TicketSetup.create({ _id: id, tenantId: world.acme._id, notify: true, createdAt: new Date() });
    expect(await completeTicketSetups(ctx(), later())).to.deep.equal({ completed: 0, dropped: 1 });
    expect(await Ticket.countDocuments({ tenantId: world.acme._id, _id: id })).to.equal(0);
    expect(await TicketSetup.countDocuments({ _id: id })).to.equal(0);
  });
});
