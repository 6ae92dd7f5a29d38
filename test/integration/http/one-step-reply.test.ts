import { expect } from 'chai';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeTicket, tinyPng } from '../../support/tickets.js';

/** Issue 16, item 2: the composer sends and sets the status in one action, without JavaScript too. */
describe('the one-step reply over HTTP', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let operator: Agent;
  let client: Agent;

  before(async () => {
    tp = await startTestPortal('one-step-reply');
    world = await makeWorld();
    operator = await signedInAgent(tp.url, world.users.operatorAcme.email);
    client = await signedInAgent(tp.url, world.users.acmeUser.email);
  });
  after(() => tp.stop());

  const stored = (number: string) => Ticket.findOne({ tenantId: world.acme._id, number }).lean();
  const repliesOf = async (number: string) => {
    const ticket = await stored(number);
    return TimelineEntry.find({
      tenantId: world.acme._id,
      ticketId: ticket?._id,
      kind: { $in: ['reply', 'note'] },
    })
      .sort({ at: 1 })
      .lean();
  };

  it('offers the "send and …" buttons the domain allows, to staff and not to a client', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Buttons');
    const staffPage = (await operator.get(`/tickets/${ticket.number}`).expect(200)).text;
    expect(staffPage).to.include('data-testid="send"');
    expect(staffPage).to.include('data-testid="send-pending"');
    expect(staffPage).to.include('data-testid="send-resolved"');
    const clientPage = (await client.get(`/tickets/${ticket.number}`).expect(200)).text;
    expect(clientPage).to.include('data-testid="send"');
    expect(clientPage).to.not.include('data-testid="send-pending"');
  });

  it('sends and resolves with a plain form post: redirect, flash, reply, file, status and assignee', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'No script');
    const token = csrfFrom((await operator.get(`/tickets/${ticket.number}`).expect(200)).text);
    const res = await operator
      .post(`/tickets/${ticket.number}/replies`)
      .field('_csrf', token)
      .field('body', 'Registered, closing this.')
      .field('then', 'resolved')
      .attach('attachments', tinyPng, 'receipt.png')
      .expect(302);
    expect(res.headers.location).to.equal(`/tickets/${ticket.number}#latest`);
    const page = (await operator.get(`/tickets/${ticket.number}`).expect(200)).text;
    expect(page).to.include('Sent; the ticket is now Resolved.');
    expect(page).to.include('Registered, closing this.');
    expect(page).to.include('receipt.png');
    const after = await stored(ticket.number);
    expect(after?.status).to.equal('resolved');
    expect(String(after?.assignee?.id)).to.equal(String(world.users.operatorAcme._id));
  });

  it('keeps the reply and says the status part failed when the move is not allowed', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Refused move');
    const token = csrfFrom((await client.get(`/tickets/${ticket.number}`).expect(200)).text);
    // A client cannot set pending: a forged button is refused by the domain, the reply stands.
    await client
      .post(`/tickets/${ticket.number}/replies`)
      .field('_csrf', token)
      .field('body', 'Please hurry')
      .field('then', 'pending')
      .expect(302);
    const page = (await client.get(`/tickets/${ticket.number}`).expect(200)).text;
    // The client reads Italian (their tenant's language).
    expect(page).to.include('Il messaggio è stato inviato, ma lo stato non è cambiato');
    expect((await repliesOf(ticket.number)).map((e) => e.body)).to.deep.equal(['Please hurry']);
    expect((await stored(ticket.number))?.status).to.equal('new');
  });

  it('answers the page script in JSON: the entry and the composer as the server renders them', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'With script');
    const token = csrfFrom((await operator.get(`/tickets/${ticket.number}`).expect(200)).text);
    const ok = await operator
      .post(`/tickets/${ticket.number}/replies`)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', token)
      .field('_csrf', token)
      .field('body', 'Waiting for the <PO>')
      .field('then', 'pending')
      .expect(200);
    const answer = ok.body as {
      ok: boolean;
      message: string;
      statusChange: { to: string; done: boolean };
      assigned: boolean;
      entry: { id: string; html: string };
      composerHtml: string;
      side: { statusHtml: string; assigneeHtml: string; statusCardHtml: string };
    };
    expect(answer.ok).to.equal(true);
    expect(answer.statusChange).to.deep.equal({ to: 'pending', done: true });
    expect(answer.assigned).to.equal(true);
    expect(answer.message).to.equal('Sent; the ticket is now Waiting for client.');
    expect(answer.entry.html)
      .to.include(`id="e-${answer.entry.id}"`)
      .and.include('Waiting for the &lt;PO&gt;');
    expect(answer.composerHtml)
      .to.include('data-testid="composer"')
      .and.include('data-testid="send-resolved"');
    expect(answer.composerHtml).to.not.include('data-testid="send-pending"');
    // The side cards the send changed, rendered again: status badge, assignee, take gone, moves.
    expect(answer.side.statusHtml).to.include('data-testid="status"').and.include('Waiting for client');
    expect(answer.side.assigneeHtml).to.include(world.users.operatorAcme.name);
    expect(answer.side.statusCardHtml)
      .to.include('data-testid="status-card"')
      .and.include('data-testid="release"')
      .and.include('data-testid="move-resolved"')
      .and.include(`name="_csrf" value="${token}"`);
    expect(answer.side.statusCardHtml).to.not.include('data-testid="take"');
    expect(answer.side.statusCardHtml).to.not.include('data-testid="move-pending"');

    const refused = await operator
      .post(`/tickets/${ticket.number}/replies`)
      .set('Accept', 'application/json')
      .field('_csrf', token)
      .field('body', '')
      .field('then', 'resolved')
      .expect(422);
    const error = refused.body as { ok: boolean; error: { code: string }; composerHtml: string };
    expect(error.ok).to.equal(false);
    expect(error.error.code).to.equal('validation');
    expect(error.composerHtml).to.include('aria-invalid="true"');
    expect((await stored(ticket.number))?.status).to.equal('pending');
  });
});
