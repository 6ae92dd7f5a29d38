import { expect } from 'chai';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import type { TicketSummary } from '../../../server/domain/queues/views.js';
import type { QueueSyncView, TicketWatchView } from '../../../server/realtime/events.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { frozenContract } from '../../support/frozen-contract.js';
import { tableRows, textOf } from '../../support/pages.js';
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

/** Item 10 of #14: one SLA display (state and business time left) on queue rows, ticket page and live. */
describe('readable history: one SLA display everywhere', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let queueId: string;
  const sockets: ClientSocket[] = [];

  before(async () => {
    tp = await startTestPortal('readable-sla');
    world = await makeWorld();
    await frozenContract(world.acme._id, 120, 600, 6);
    const queue = await createQueue(
      ctxOf(world.users.admin, null),
      queueInputSchema.parse({ name: 'Acme SLA', tenantIds: [world.acme.id] }),
    );
    queueId = String(queue._id);
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await tp?.stop();
  });

  it('a queue row shows the state and the business time left the ticket page shows, not a wall-clock countdown', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Business time');
    const operator = await signedInAgent(tp.url, world.users.operatorAcme.email);
    // Columns: number, client, subject, type, priority, status, SLA, assignee.
    const row = tableRows((await operator.get(`/queues/${queueId}`).expect(200)).text, 'queue').find(
      (r) => r[0] === ticket.number,
    );
    expect(row?.[6]).to.equal('On track 2 h 00 min left');
    const page = (await operator.get(`/tickets/${ticket.number}`).expect(200)).text;
    const panel = textOf(/<div class="card sla-panel[\s\S]*?<\/div>/.exec(page)?.[0] ?? '');
    expect(panel).to.include('On track').and.include('Business time left: 2 h 00 min');
  });

  it('the socket carries the same business time: queue:sync, a live new ticket and ticket:watch', async () => {
    const { cookie } = await signInForCookie(tp.url, world.users.operatorAcme.email);
    const socket = await openSocket(tp.url, { cookie });
    sockets.push(socket);
    const created = record<TicketSummary>(socket, 'ticket:created');
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Live business time');
    await eventually(() => created.some((t) => t.number === ticket.number), 8000, 'the push');
    const pushed = created.find((t) => t.number === ticket.number);
    expect(pushed?.sla).to.include({
      state: 'ok',
      target: 'firstResponse',
      paused: false,
      remainingSeconds: 7200,
      overdueSeconds: null,
    });

    const sync = await ask<QueueSyncView>(socket, 'queue:sync', { queueId });
    expect(sync.data?.tickets.find((t) => t.number === ticket.number)?.sla?.remainingSeconds).to.equal(7200);

    const watched = await ask<TicketWatchView>(socket, 'ticket:watch', { ref: ticket.number });
    expect(watched.data?.sla?.stateText).to.equal('On track');
    expect(watched.data?.sla?.targets.find((g) => g.target === 'firstResponse')?.leftText).to.equal(
      '2 h 00 min',
    );
    expect(watched.data?.sla?.targets.find((g) => g.target === 'resolution')?.leftText).to.equal(
      '10 h 00 min',
    );
  });
});
