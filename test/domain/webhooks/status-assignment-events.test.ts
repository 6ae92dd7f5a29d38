import { expect } from 'chai';
import { Types } from 'mongoose';
import { pino } from 'pino';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { assignTicket, releaseTicket, takeTicket } from '../../../server/domain/queues/claims.js';
import { changeStatus } from '../../../server/domain/tickets/lifecycle.js';
import { PENDING_ENTRY_GRACE_MS } from '../../../server/domain/tickets/pending-entries.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { sweepMissedWebhookEvents } from '../../../server/domain/webhooks/record-events.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

const sys = () => systemCtx(pino({ level: 'silent' }), 'test');

/**
 * Issue 19, item 1 (gap): taking or assigning a new ticket opens it, and that is a status change
 * like any other (its timeline entry, hence `ticket.status_changed`); every status change and
 * assignment carries its entry in the ticket update itself, so a crash between the update and the
 * entry loses no event: the sweep writes it, once.
 */
describe('webhook events of status changes and assignments', () => {
  let world: World;
  let endpointId: string;
  before(async () => {
    await connectTestDb('webhook-status-assignment');
    world = await makeWorld();
    const ep = await registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
      url: 'https://erp.acme.example/hooks',
      description: 'ERP',
      events: ['ticket.status_changed', 'ticket.assigned'],
      orderedPerTicket: false,
    });
    endpointId = ep.id;
  });
  after(async () => {
    await dropAndDisconnect();
  });

  const entriesOf = (ticketId: Types.ObjectId) =>
    TimelineEntry.find({ tenantId: world.acme._id, ticketId, kind: { $in: ['status', 'assignment'] } })
      .sort({ _id: 1 })
      .lean();
  const eventsOf = (ticketId: Types.ObjectId) =>
    WebhookEvent.find({ tenantId: world.acme._id, ticketId }).sort({ occurredAt: 1, type: 1 }).lean();

  it('taking a new ticket records the assignment and the opening, and leaves no marker', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Take me');
    await takeTicket(ctxOf(world.users.operatorAcme, null), ticket.number);
    const entries = await entriesOf(ticket._id);
    expect(entries.map((e) => [e.kind, e.data])).to.deep.equal([
      ['assignment', { action: 'claimed', to: world.users.operatorAcme.name, from: null }],
      ['status', { from: 'new', to: 'open' }],
    ]);
    const stored = await Ticket.findOne({ _id: ticket._id, tenantId: world.acme._id }).lean();
    expect(stored?.status).to.equal('open');
    expect(stored?.pendingEntries ?? []).to.deep.equal([]);
    await sweepMissedWebhookEvents(sys());
    const types = (await eventsOf(ticket._id)).map((e) => e.type).sort();
    expect(types).to.deep.equal(['ticket.assigned', 'ticket.status_changed']);
    // Released and changed: each its entry, each its event.
    await releaseTicket(ctxOf(world.users.operatorAcme, null), ticket.number);
    await changeStatus(ctxOf(world.users.teamLead, null), ticket.number, 'pending');
    await sweepMissedWebhookEvents(sys());
    expect((await eventsOf(ticket._id)).length).to.equal(4);
  });

  it('assigning a new ticket records the opening too', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Assign me');
    await assignTicket(
      ctxOf(world.users.teamLead, null),
      ticket.number,
      String(world.users.operatorAcme._id),
    );
    const entries = await entriesOf(ticket._id);
    expect(entries.map((e) => e.kind)).to.deep.equal(['assignment', 'status']);
    expect(entries[1]?.data).to.deep.equal({ from: 'new', to: 'open' });
    await sweepMissedWebhookEvents(sys());
    const types = (await eventsOf(ticket._id)).map((e) => e.type).sort();
    expect(types).to.deep.equal(['ticket.assigned', 'ticket.status_changed']);
  });

  it('a crash between the ticket update and its entry: the sweep writes the entry and its event, once', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Crashed');
    // What a process killed right after the update of a status change leaves: the change and
    // its marker, no entry.
    const at = new Date();
    const key = new Types.ObjectId().toHexString();
    await Ticket.updateOne(
      { _id: ticket._id, tenantId: world.acme._id },
      {
        $set: { status: 'open', openedAt: at },
        $inc: { version: 1 },
        $push: {
          pendingEntries: {
            key,
            kind: 'status',
            visibility: 'public',
            data: { from: 'new', to: 'open' },
            at,
            author: { id: world.users.operatorAcme._id, name: world.users.operatorAcme.name, kind: 'staff' },
          },
        },
      },
    );
    // A request still in flight is left alone.
    await sweepMissedWebhookEvents(sys());
    expect(await entriesOf(ticket._id)).to.have.length(0);
    // Once the grace has passed, the sweep finishes it: the entry (in the author's name) and the event.
    const later = new Date(Date.now() + PENDING_ENTRY_GRACE_MS + 1000);
    await sweepMissedWebhookEvents(sys(), { now: later });
    const entries = await entriesOf(ticket._id);
    expect(entries.map((e) => [e.key, e.kind, e.author?.name, e.at.getTime()])).to.deep.equal([
      [key, 'status', world.users.operatorAcme.name, at.getTime()],
    ]);
    const stored = await Ticket.findOne({ _id: ticket._id, tenantId: world.acme._id }).lean();
    expect(stored?.pendingEntries ?? []).to.deep.equal([]);
    const events = await eventsOf(ticket._id);
    expect(events.map((e) => [e.type, String(e.endpointId)])).to.deep.equal([
      ['ticket.status_changed', endpointId],
    ]);
    // Again: nothing new.
    await sweepMissedWebhookEvents(sys(), { now: new Date(later.getTime() + 1000) });
    expect(await entriesOf(ticket._id)).to.have.length(1);
    expect(await eventsOf(ticket._id)).to.have.length(1);
  });
});
