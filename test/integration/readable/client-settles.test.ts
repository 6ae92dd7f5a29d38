import { expect } from 'chai';
import { Ticket } from '../../../models/ticket.js';
import { postForm, signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeTicket } from '../../support/tickets.js';

/** Item 13 of #14: a client marks their own ticket solved or closed. */
describe('readable history: a client settles their own ticket', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('readable-settle');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('the requester sees "mark as solved" and "close" on an open ticket, and both work', async () => {
    const agent = await signedInAgent(tp.url, world.users.acmeUser.email);
    const solved = await makeTicket(world.users.acmeUser, world.acme, 'Solved by myself');
    const page = (await agent.get(`/tickets/${solved.number}`).expect(200)).text;
    expect(page).to.include('data-testid="move-resolved"').and.include('data-testid="move-closed"');
    const res = await postForm(agent, `/tickets/${solved.number}`, `/tickets/${solved.number}/status`, {
      status: 'resolved',
    });
    expect(res.status).to.equal(302);
    const after = await Ticket.findById(solved._id).setOptions({ allTenants: true }).lean();
    expect(after?.status).to.equal('resolved');
    expect(after?.resolvedAt).to.be.instanceOf(Date);
    const history = textOf((await agent.get(`/tickets/${solved.number}`).expect(200)).text);
    expect(history).to.match(/Risolto|Resolved/);

    const closed = await makeTicket(world.users.acmeUser, world.acme, 'Closed by myself');
    expect(
      (
        await postForm(agent, `/tickets/${closed.number}`, `/tickets/${closed.number}/status`, {
          status: 'closed',
        })
      ).status,
    ).to.equal(302);
    const closedAfter = await Ticket.findById(closed._id).setOptions({ allTenants: true }).lean();
    expect(closedAfter?.status).to.equal('closed');
    expect(closedAfter?.closedAt).to.be.instanceOf(Date);
    expect(closedAfter?.resolvedAt).to.be.instanceOf(Date);
  });

  it("a client admin may settle the company's tickets; another client user may not settle someone else's", async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Not yours');
    const colleague = await makeUser({ role: 'client_user', tenantId: world.acme.id });
    const other = await signedInAgent(tp.url, colleague.email);
    const page = (await other.get(`/tickets/${ticket.number}`).expect(200)).text;
    expect(page).not.to.include('data-testid="move-resolved"');
    await postForm(other, `/tickets/${ticket.number}`, `/tickets/${ticket.number}/status`, {
      status: 'closed',
    });
    expect((await Ticket.findById(ticket._id).setOptions({ allTenants: true }).lean())?.status).to.equal(
      'new',
    );

    const admin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    expect((await admin.get(`/tickets/${ticket.number}`).expect(200)).text).to.include(
      'data-testid="move-closed"',
    );
    await postForm(admin, `/tickets/${ticket.number}`, `/tickets/${ticket.number}/status`, {
      status: 'closed',
    });
    expect((await Ticket.findById(ticket._id).setOptions({ allTenants: true }).lean())?.status).to.equal(
      'closed',
    );
  });
});
