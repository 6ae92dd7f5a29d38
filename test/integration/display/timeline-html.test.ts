import { expect } from 'chai';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { updateTicket } from '../../../server/domain/tickets/update.js';
import type { TicketWatchView } from '../../../server/realtime/events.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { frozenContract } from '../../support/frozen-contract.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ask, openSocket, signInForCookie, type ClientSocket } from '../../support/realtime.js';
import { ctxOf, makeTicket, tinyPng } from '../../support/tickets.js';

/** Item 3 of #15: a live timeline entry is the page's own HTML, rendered once on the server. */
describe('each display rule once: the live timeline entry is the page partial', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let number: string;
  const sockets: ClientSocket[] = [];

  before(async () => {
    tp = await startTestPortal('display-timeline');
    world = await makeWorld();
    await frozenContract(world.acme._id, 120, 600, 6);
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Two <b>lines</b> & more');
    number = ticket.number;
    const op = ctxOf(world.users.operatorAcme, null);
    await updateTicket(op, number, { priority: 'high' });
    await addReply(op, number, { body: 'First line\nsecond line <i>kept as text</i>', internal: true });
    await addReply(ctxOf(world.users.acmeUser, world.acme), number, { body: 'With a file' }, [
      { filename: 'pixel.png', buffer: tinyPng },
    ]);
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await tp?.stop();
  });

  it('every entry ticket:watch sends carries the exact HTML the ticket page prints for it', async () => {
    for (const user of [
      await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'it' }),
      world.users.operatorAcme,
    ]) {
      const page = (await (await signedInAgent(tp.url, user.email)).get(`/tickets/${number}`).expect(200))
        .text;
      const { cookie } = await signInForCookie(tp.url, user.email);
      const socket = await openSocket(tp.url, { cookie });
      sockets.push(socket);
      const watched = await ask<TicketWatchView>(socket, 'ticket:watch', { ref: number });
      const entries = watched.data?.entries ?? [];
      expect(entries.map((e) => e.kind)).to.deep.equal(['created', 'fields', 'note', 'reply']);
      for (const e of entries) {
        expect(e.html, e.kind).to.match(
          new RegExp(`^<li class="entry entry-${e.kind} vis-${e.visibility}" id="e-${e.id}"`),
        );
        expect(page, `${user.locale} ${e.kind}`).to.include(e.html);
      }
      const note = entries[2]?.html ?? '';
      // Escaped by handlebars, and a multi-line body is not indented by the page's layout.
      expect(note).to.include('First line\nsecond line &lt;i&gt;kept as text&lt;/i&gt;</div>');
      expect(entries[3]?.html).to.match(/<a href="\/attachments\/[0-9a-f]{24}">pixel\.png<\/a>/);
      // The SLA panel and the status badge a live update swaps in are the page's own too.
      expect(watched.data?.sla?.html).to.match(/^<div class="card sla-panel sla-ok"/);
      expect(page).to.include(watched.data?.sla?.html);
      expect(watched.data?.statusHtml).to.match(/^<span class="badge status-/);
      expect(page).to.include(watched.data?.statusHtml);
    }
  });
});
