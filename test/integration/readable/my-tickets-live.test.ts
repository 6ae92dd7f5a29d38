import { expect } from 'chai';
import { assignTicket } from '../../../server/domain/queues/claims.js';
import type { TicketSummary } from '../../../server/domain/queues/views.js';
import type { QueueOverviewView } from '../../../server/realtime/events.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { tableRows } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import {
  ask,
  eventually,
  openSocket,
  record,
  signInForCookie,
  type ClientSocket,
} from '../../support/realtime.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Item 11 of #14: "my tickets" follows live; empty tables say so. */
describe('readable history: my tickets live, empty tables say so', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  const sockets: ClientSocket[] = [];

  before(async () => {
    tp = await startTestPortal('readable-mine');
    world = await makeWorld();
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await tp?.stop();
  });

  it('the empty tables of the queues overview say "nothing here"', async () => {
    const fresh = await makeUser({ role: 'operator', tenantIds: [world.nord.id] });
    const agent = await signedInAgent(tp.url, fresh.email);
    const html = (await agent.get('/queues').expect(200)).text;
    expect(tableRows(html, 'my-tickets')).to.deep.equal([['Nothing here.']]);
    expect(tableRows(html, 'breaching-soon')).to.deep.equal([['Nothing here.']]);
  });

  it('a ticket assigned to me reaches my socket and the overview it asks for (queues:overview)', async () => {
    const me = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    const { cookie } = await signInForCookie(tp.url, me.email);
    const socket = await openSocket(tp.url, { cookie });
    sockets.push(socket);
    const before = await ask<QueueOverviewView>(socket, 'queues:overview');
    expect(before.data?.mine).to.deep.equal([]);
    expect(before.data?.counts.mine).to.equal(0);

    const claimed = record<{ ticket: TicketSummary; assignee: { name: string } | null }>(
      socket,
      'ticket:claimed',
    );
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Yours now');
    await assignTicket(ctxOf(world.users.teamLead, null), ticket.number, String(me.id));
    await eventually(
      () => claimed.some((c) => c.ticket.number === ticket.number),
      8000,
      'the assignment push',
    );
    expect(claimed.find((c) => c.ticket.number === ticket.number)?.assignee?.name).to.equal(me.name);

    const after = await ask<QueueOverviewView>(socket, 'queues:overview');
    expect(after.data?.mine.map((t) => t.number)).to.deep.equal([ticket.number]);
    expect(after.data?.counts.mine).to.equal(1);
  });
});
