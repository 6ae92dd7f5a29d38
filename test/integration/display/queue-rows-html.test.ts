import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import type { QueueOverviewView, QueueRowView, QueueSyncView } from '../../../server/realtime/events.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { frozenContract } from '../../support/frozen-contract.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ask, openSocket, signInForCookie, type ClientSocket } from '../../support/realtime.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Item 3 of #15: queue rows (SLA display included) are rendered once, by the server, per reader. */
describe('each display rule once: live queue rows are the page partial', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let queueId: string;
  const sockets: ClientSocket[] = [];

  before(async () => {
    tp = await startTestPortal('display-queue-rows');
    world = await makeWorld();
    await frozenContract(world.acme._id, 120, 600, 6);
    const queue = await createQueue(
      ctxOf(world.users.admin, null),
      queueInputSchema.parse({ name: 'Acme rows', tenantIds: [world.acme.id] }),
    );
    queueId = String(queue._id);
    await makeTicket(world.users.acmeUser, world.acme, 'Rows <i>once</i>');
    await makeTicket(world.users.acmeUser, world.acme, 'Second row');
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await tp?.stop();
  });

  /** The page's rows, with the socket's empty CSRF field given the page's token (the script does). */
  const withToken = (html: string, page: string) =>
    html.replaceAll(
      'name="_csrf" value=""',
      `name="_csrf" value="${/name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? ''}"`,
    );

  it('queue:sync and queue:rows send each row exactly as the queue page prints it, in the reader language', async () => {
    for (const user of [
      await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'da' }),
      world.users.operatorAcme,
    ]) {
      const page = (await (await signedInAgent(tp.url, user.email)).get(`/queues/${queueId}`).expect(200))
        .text;
      const { cookie } = await signInForCookie(tp.url, user.email);
      const socket = await openSocket(tp.url, { cookie });
      sockets.push(socket);
      const synced = await ask<QueueSyncView>(socket, 'queue:sync', { queueId });
      const rows = synced.data?.rows ?? [];
      expect(rows.map((r) => r.id)).to.deep.equal(synced.data?.tickets.map((t) => t.id));
      expect(rows).to.have.length(2);
      for (const row of rows) {
        expect(row.html).to.match(/^<tr data-ticket-id="[0-9a-f]{24}"[^>]* data-sort-key="[0-9a-f.]+">/);
        expect(page, String(user.locale)).to.include(withToken(row.html, page));
      }
      expect(rows.map((r) => r.html).join(' ')).to.include(
        user.locale === 'da' ? '2 t. 00 min. tilbage' : '2 h 00 min left',
      );
      const one = await ask<{ rows: QueueRowView[] }>(socket, 'queue:rows', { queueId, ids: [rows[1]?.id] });
      expect(one.data?.rows.map((r) => r.html)).to.deep.equal([rows[1]?.html]);
    }
  });

  it('queues:overview sends its lists as the overview page prints them', async () => {
    const page = (
      await (await signedInAgent(tp.url, world.users.operatorAcme.email)).get('/queues').expect(200)
    ).text;
    const { cookie } = await signInForCookie(tp.url, world.users.operatorAcme.email);
    const socket = await openSocket(tp.url, { cookie });
    sockets.push(socket);
    const overview = await ask<QueueOverviewView>(socket, 'queues:overview');
    expect(overview.data?.html.mine).to.include('data-empty-row');
    expect(page).to.include(overview.data?.html.mine ?? 'missing');
  });

  it('the page scripts hold no copy of the formatters, the queue filter or its order', () => {
    const queueJs = readFileSync('public/js/queue.js', 'utf8');
    const ticketJs = readFileSync('public/js/ticket.js', 'utf8');
    expect(queueJs).not.to.match(/function duration|Intl\.|PRIORITY_RANK|filter\.tenantIds|renderRow/);
    expect(ticketJs).not.to.match(/renderEntry|badge-internal|entry-head/);
  });
});
