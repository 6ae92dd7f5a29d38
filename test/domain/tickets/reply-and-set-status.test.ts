import { expect } from 'chai';
import type { Types } from 'mongoose';
import { Attachment } from '../../../models/attachment.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry, type TimelineKind } from '../../../models/timeline-entry.js';
import { assignTicket } from '../../../server/domain/queues/claims.js';
import {
  replyAndSetStatus,
  replyAndSetStatusSchema,
} from '../../../server/domain/queues/reply-and-set-status.js';
import { changeStatus, moveTicket } from '../../../server/domain/tickets/lifecycle.js';
import { replyMovesFor } from '../../../server/domain/tickets/page-flags.js';
import { getTicket } from '../../../server/domain/tickets/queries.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket, tinyPng } from '../../support/tickets.js';

/** Issue 16, item 2: one action sends the reply and sets the status. */
describe('reply and set the status in one action', function () {
  this.timeout(30_000);
  let world: World;
  before(async () => {
    await connectTestDb('reply-and-set-status');
    world = await makeWorld();
  });
  after(dropAndDisconnect);

  const input = (body: string, extra: Record<string, unknown> = {}) =>
    replyAndSetStatusSchema.parse({ body, ...extra });
  type Ref = { _id: Types.ObjectId; tenantId: Types.ObjectId };
  const entriesOf = (ticket: Ref, kind: TimelineKind) =>
    TimelineEntry.find({ tenantId: ticket.tenantId, ticketId: ticket._id, kind }).sort({ at: 1 }).lean();
  const storedOf = (ticket: Ref) => Ticket.findOne({ _id: ticket._id, tenantId: ticket.tenantId }).lean();

  it('"send" answers a new ticket, opens it and gives it to the operator who answered', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Send only');
    const operator = ctxOf(world.users.operatorAcme, null);
    expect(replyMovesFor(operator.actor, ticket)).to.deep.equal(['pending', 'resolved']);
    const sent = await replyAndSetStatus(operator, ticket.number, input('Looking into it'));
    expect(sent.status).to.equal(null);
    expect(sent.assigned).to.equal(true);
    const stored = await storedOf(ticket);
    expect(stored?.status).to.equal('open');
    expect(String(stored?.assignee?.id)).to.equal(String(world.users.operatorAcme._id));
    expect((await entriesOf(ticket, 'reply')).map((e) => e.body)).to.deep.equal(['Looking into it']);
    const assignment = await entriesOf(ticket, 'assignment');
    expect(assignment.map((e) => (e.data as { action: string }).action)).to.deep.equal(['claimed']);
  });

  it('"send and set pending" sends the reply with its file, then sets pending', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Send pending');
    const operator = ctxOf(world.users.operatorAcme, null);
    const sent = await replyAndSetStatus(
      operator,
      ticket.number,
      input('Which invoice?', { then: 'pending' }),
      [{ filename: 'pixel.png', buffer: tinyPng }],
    );
    expect(sent.status).to.deep.equal({ to: 'pending', done: true });
    expect(sent.ticket.status).to.equal('pending');
    const [reply] = await entriesOf(ticket, 'reply');
    expect(reply?.attachmentIds).to.have.length(1);
    expect(await Attachment.countDocuments({ tenantId: ticket.tenantId, ticketId: ticket._id })).to.equal(1);
    const moves = (await entriesOf(ticket, 'status')).map((e) => (e.data as { to: string }).to);
    expect(moves).to.deep.equal(['open', 'pending']);
    // Pending already: "send and set pending" is no longer offered, "send and resolve" is.
    expect(replyMovesFor(operator.actor, sent.ticket)).to.deep.equal(['resolved']);
  });

  it('"send and resolve" sends an internal note and resolves, without taking the ticket', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Send resolve');
    const operator = ctxOf(world.users.operatorAcme, null);
    const sent = await replyAndSetStatus(
      operator,
      ticket.number,
      input('Done in the ERP', { internal: 'true', then: 'resolved' }),
    );
    expect(sent.status).to.deep.equal({ to: 'resolved', done: true });
    expect(sent.assigned).to.equal(false);
    const stored = await storedOf(ticket);
    expect(stored?.status).to.equal('resolved');
    expect(stored?.resolvedAt).to.be.instanceOf(Date);
    expect(stored?.assignee ?? null).to.equal(null);
    const [note] = await entriesOf(ticket, 'note');
    expect(note?.visibility).to.equal('internal');
  });

  it('keeps the reply when the status change is not allowed, and says so', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Not allowed');
    const operator = ctxOf(world.users.operatorAcme, null);
    await changeStatus(operator, ticket.number, 'resolved');
    const resolved = await getTicket(operator, ticket.number);
    // From resolved staff may only reopen or close: nothing to offer, and a forged "pending" is refused.
    expect(replyMovesFor(operator.actor, resolved)).to.deep.equal([]);
    const sent = await replyAndSetStatus(
      operator,
      ticket.number,
      input('One more thing', { then: 'pending' }),
    );
    expect(sent.status?.done).to.equal(false);
    expect(sent.status?.refused?.messageKey).to.equal('tickets.bad_transition');
    expect((await storedOf(ticket))?.status).to.equal('resolved');
    expect((await entriesOf(ticket, 'reply')).map((e) => e.body)).to.deep.equal(['One more thing']);
  });

  it('refuses a client the moves only staff make, the reply kept, and never assigns on a client reply', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Client reply');
    const client = ctxOf(world.users.acmeUser, world.acme);
    expect(replyMovesFor(client.actor, ticket)).to.not.include('pending');
    const sent = await replyAndSetStatus(client, ticket.number, input('Any news?', { then: 'pending' }));
    expect(sent.assigned).to.equal(false);
    expect(sent.status?.done).to.equal(false);
    const stored = await storedOf(ticket);
    expect(stored?.status).to.equal('new');
    expect(stored?.assignee ?? null).to.equal(null);
    expect(await entriesOf(ticket, 'reply')).to.have.length(1);
  });

  it('leaves a ticket assigned to someone else with them', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Someone else');
    await assignTicket(
      ctxOf(world.users.teamLead, null),
      ticket.number,
      String(world.users.operatorBoth._id),
    );
    const operator = ctxOf(world.users.operatorAcme, null);
    const sent = await replyAndSetStatus(operator, ticket.number, input('Covering for a colleague'));
    expect(sent.assigned).to.equal(false);
    const stored = await storedOf(ticket);
    expect(String(stored?.assignee?.id)).to.equal(String(world.users.operatorBoth._id));
  });

  it('does not overwrite a change made after its own writes (conditional on the version)', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Raced');
    const operator = ctxOf(world.users.operatorAcme, null);
    await changeStatus(operator, ticket.number, 'open');
    const seen = await getTicket(operator, ticket.number);
    // Someone else's change lands between the reply and the status change, the status unchanged.
    await assignTicket(
      ctxOf(world.users.teamLead, null),
      ticket.number,
      String(world.users.operatorBoth._id),
    );
    let refused: unknown = null;
    try {
      await moveTicket(operator, seen, 'pending', { version: seen.version });
    } catch (err) {
      refused = err;
    }
    expect((refused as { messageKey?: string } | null)?.messageKey).to.equal('tickets.changed_meanwhile');
    expect((await storedOf(ticket))?.status).to.equal('open');
  });
});
