import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { queueOrders } from '../../../models/queue.js';
import { Ticket } from '../../../models/ticket.js';
import { sortOf } from '../../../server/domain/queues/filter.js';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import { sortKeyOf } from '../../../server/domain/queues/row-place.js';
import { queueTickets } from '../../../server/domain/queues/views.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { updateTicket } from '../../../server/domain/tickets/update.js';
import { launchBrowser, signedInPage as signIn } from '../../support/browser.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { complaintInput, ctxOf } from '../../support/tickets.js';

/** Item 3 of #15: queue rows carry the server's sort key and queues; the page orders by them. */
describe('each display rule once: queue rows placed by the server sort key', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let queueId: string;
  const contexts: BrowserContext[] = [];

  const open = (subject: string, priority: 'urgent' | 'high' | 'normal' | 'low') =>
    createTicket(ctxOf(world.users.acmeUser, world.acme), { ...complaintInput(subject), priority }, 'portal');

  async function signedInPage(email: string): Promise<Page> {
    const { context, page } = await signIn(browser, tp.url, email);
    contexts.push(context);
    return page;
  }

  /** What the page shows, top to bottom: ticket id and the sort key the row carries. */
  const rowsOf = (page: Page) =>
    page.$$eval('table[data-live-queue] tbody tr', (rows) =>
      rows.map((r) => ({
        id: r.getAttribute('data-ticket-id') ?? '',
        key: r.getAttribute('data-sort-key') ?? '',
      })),
    );
  /** The server's own order for the queue, as a reload prints it. */
  const serverOrder = async () =>
    (await queueTickets(ctxOf(world.users.operatorAcme, null), queueId)).tickets.map((t) => ({
      id: t.id,
      key: t.sortKeys.priority,
    }));

  before(async () => {
    tp = await startTestPortal('display-queue-order');
    world = await makeWorld();
    const queue = await createQueue(
      ctxOf(world.users.admin, null),
      queueInputSchema.parse({
        name: 'Acme by priority',
        tenantIds: [world.acme.id],
        priorities: ['urgent', 'high', 'normal'],
        order: 'priority',
      }),
    );
    queueId = String(queue._id);
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await tp?.stop();
  });

  it('the sort key of every order sorts as the database sorts that order', async () => {
    const made = [];
    for (const [i, priority] of (['normal', 'urgent', 'low', 'high', 'normal', 'urgent'] as const).entries())
      made.push(await open(`Keyed ${i}`, priority));
    // Deadlines in a different order than creation, one ticket without any, two sharing one.
    const due = [3, 1, null, 2, 1, 5];
    for (const [i, t] of made.entries()) {
      const at = due[i];
      await Ticket.updateOne(
        { _id: t._id, tenantId: t.tenantId },
        {
          $set: {
            dueSortAt:
              at === null || at === undefined
                ? new Date('9999-12-31T00:00:00Z')
                : new Date(Date.now() + at * 3600_000),
          },
        },
      );
    }
    const ids = made.map((t) => t._id);
    for (const order of queueOrders) {
      const rows = await Ticket.find({ _id: { $in: ids }, tenantId: world.acme._id })
        .sort(sortOf[order])
        .lean();
      const byKey = [...rows].sort((a, b) => (sortKeyOf(order, a) < sortKeyOf(order, b) ? -1 : 1));
      expect(
        byKey.map((t) => String(t._id)),
        order,
      ).to.deep.equal(rows.map((t) => String(t._id)));
    }
  });

  it('rows carry the key the server sorted by; live rows go where a reload puts them, and leave when they no longer match', async () => {
    const page = await signedInPage(world.users.operatorAcme.email);
    await page.goto(`${tp.url}/queues/${queueId}`);
    await page.waitForSelector('table[data-live="synced"]', { timeout: 10_000 });
    const first = await rowsOf(page);
    expect(first.length).to.be.greaterThan(3);
    expect(first).to.deep.equal(await serverOrder());
    expect(first.every((r) => r.key.length > 0)).to.equal(true);

    const urgent = await open('Live urgent', 'urgent');
    const low = await open('Live low, not in this queue', 'low');
    const high = await open('Live high', 'high');
    await page.waitForSelector(`tr[data-ticket-id="${String(urgent._id)}"]`, { timeout: 10_000 });
    await page.waitForSelector(`tr[data-ticket-id="${String(high._id)}"]`, { timeout: 10_000 });
    // A normal one turned low leaves: the queue's filter is decided by the server.
    const leaving = first.find((r) => r.id !== String(urgent._id)) ?? first[0];
    const leavingTicket = await Ticket.findOne({ _id: leaving?.id, tenantId: world.acme._id }).lean();
    await updateTicket(ctxOf(world.users.operatorAcme, null), leavingTicket?.number ?? '', {
      priority: 'low',
    });
    await page.waitForSelector(`tr[data-ticket-id="${leaving?.id}"]`, { state: 'detached', timeout: 10_000 });
    expect(await page.locator(`tr[data-ticket-id="${String(low._id)}"]`).count()).to.equal(0);

    const live = await rowsOf(page);
    expect(live).to.deep.equal(await serverOrder());
    expect(live.map((r) => r.key)).to.deep.equal(live.map((r) => r.key).sort());
    await page.reload();
    await page.waitForSelector('table[data-live="synced"]', { timeout: 10_000 });
    expect(await rowsOf(page)).to.deep.equal(live);
  });

  it('a burst of new tickets (more than the socket rate limit allows requests) all arrive, in the server order', async () => {
    const page = await signedInPage(world.users.operatorAcme.email);
    await page.goto(`${tp.url}/queues/${queueId}`);
    await page.waitForSelector('table[data-live="synced"]', { timeout: 10_000 });
    const before = (await rowsOf(page)).length;
    const burst = [];
    for (let i = 0; i < 45; i++)
      burst.push(await open(`Burst ${i}`, (['urgent', 'high', 'normal'] as const)[i % 3] ?? 'normal'));
    await page.waitForFunction(
      (n) => document.querySelectorAll('table[data-live-queue] tbody tr').length >= n,
      before + burst.length,
      { timeout: 20_000 },
    );
    expect(await rowsOf(page)).to.deep.equal(await serverOrder());
  });
});
