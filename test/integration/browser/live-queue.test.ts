import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Ticket } from '../../../models/ticket.js';
import { takeTicket } from '../../../server/domain/queues/claims.js';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { t } from '../../../server/i18n/i18n.js';
import { launchBrowser, signedInPage as signIn } from '../../support/browser.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Two operators on the same queue page, a client on a ticket page: live, in a real browser. */
describe('live queue and ticket pages in a browser', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let queueId: string;
  const contexts: BrowserContext[] = [];

  async function signedInPage(email: string): Promise<Page> {
    const { context, page } = await signIn(browser, tp.url, email);
    contexts.push(context);
    return page;
  }

  async function openQueue(page: Page): Promise<void> {
    await page.goto(`${tp.url}/queues/${queueId}`);
    await page.waitForSelector('table[data-live="synced"]', { timeout: 10_000 });
  }

  before(async () => {
    tp = await startTestPortal('browser-live');
    world = await makeWorld();
    const queue = await createQueue(
      ctxOf(world.users.admin, null),
      queueInputSchema.parse({ name: 'Acme live', tenantIds: [world.acme.id] }),
    );
    queueId = String(queue._id);
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await tp?.stop();
  });

  it("a new ticket appears on both operators' pages; taken by one, it leaves the other's", async () => {
    const one = await signedInPage(world.users.operatorAcme.email);
    const two = await signedInPage(world.users.operatorBoth.email);
    await Promise.all([openQueue(one), openQueue(two)]);
    // Polling first, then upgraded to WebSocket (the page's CSP allows its own origin).
    await one.waitForFunction(
      () =>
        (window as unknown as { DeskLive: { socket: { io: { engine: { transport: { name: string } } } } } })
          .DeskLive.socket.io.engine.transport.name === 'websocket',
    );
    expect(await one.locator('tbody tr').count()).to.equal(0);

    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Appears without reload');
    const row = `tr[data-number="${ticket.number}"]`;
    await Promise.all([
      one.waitForSelector(row, { timeout: 10_000 }),
      two.waitForSelector(row, { timeout: 10_000 }),
    ]);
    expect(await two.textContent(row)).to.include('Appears without reload');
    expect(await two.textContent(`${row} .badge`)).to.equal('New');

    await one.click(`[data-testid="take-${ticket.number}"]`);
    await one.waitForURL((url) => url.pathname === `/tickets/${ticket.number}`);
    await two.waitForSelector(row, { state: 'detached', timeout: 10_000 });
    expect(await two.locator('tbody tr').count()).to.equal(0);
    expect(await two.isVisible('[data-empty]')).to.equal(true);

    // Get next on an empty queue answers in place.
    await two.click('[data-testid="get-next"]');
    await two.waitForFunction(
      () => (document.querySelector('[data-live-status]')?.textContent ?? '').length > 0,
    );
    expect(await two.textContent('[data-live-status]')).to.include('Nothing left to take');
    expect(new URL(two.url()).pathname).to.equal(`/queues/${queueId}`);
  });

  it('a take that lost the race shows who won; no wall-clock countdown replaces the server SLA display', async () => {
    const two = await signedInPage(world.users.operatorBoth.email);
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Race me');
    await Ticket.updateOne(
      { _id: ticket._id, tenantId: ticket.tenantId },
      { $set: { dueSortAt: new Date(Date.now() + 2 * 3600_000) } },
    );
    const late = await makeTicket(world.users.acmeUser, world.acme, 'Already late');
    await Ticket.updateOne(
      { _id: late._id, tenantId: late.tenantId },
      { $set: { dueSortAt: new Date(Date.now() - 60_000) } },
    );
    await openQueue(two);
    const row = `tr[data-number="${ticket.number}"]`;
    await two.waitForSelector(row);

    // Business time is the server's to count (sla/view.ts): the page draws what it was told.
    const due = two.locator(`${row} [data-sla]`);
    const first = await due.textContent();
    await two.waitForTimeout(1500);
    expect(await due.textContent()).to.equal(first);
    expect(first).not.to.match(/\d\d:\d\d:\d\d/);
    // The most urgent deadline first.
    expect(await two.getAttribute('tbody tr:first-child', 'data-number')).to.equal(late.number);

    // Someone else takes it through the domain while the row still shows a Take button here:
    // the page is told by the push and by the socket's answer.
    await two.evaluate(() => {
      // Hold the push back so the button is still there when clicked.
      (window as unknown as { DeskLive: { socket: { off(e: string): void } } }).DeskLive.socket.off(
        'ticket:claimed',
      );
    });
    await takeTicket(ctxOf(world.users.operatorAcme, null), ticket.number);
    await two.click(`[data-testid="take-${ticket.number}"]`);
    await two.waitForFunction(() =>
      (document.querySelector('[data-live-status]')?.textContent ?? '').includes('took this ticket'),
    );
    expect(await two.textContent('[data-live-status]')).to.include(world.users.operatorAcme.name);
  });

  it('the ticket page shows new entries, who is viewing and typing, and warns about a reply while typing', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Live conversation');
    const operator = await signedInPage(world.users.operatorAcme.email);
    const client = await signedInPage(world.users.acmeUser.email);
    await operator.goto(`${tp.url}/tickets/${ticket.number}`);
    await client.goto(`${tp.url}/tickets/${ticket.number}`);
    await operator.waitForSelector('article[data-live="watching"]');
    await client.waitForSelector('article[data-live="watching"]');

    await operator.waitForFunction(
      (name) => (document.querySelector('[data-live-presence]')?.textContent ?? '').includes(name),
      world.users.acmeUser.name,
    );
    // Acme's users read Italian; operators are "an operator" to clients, never a name.
    const anOperator = t('it', 'live.an_operator');
    await client.waitForFunction(
      (text) => (document.querySelector('[data-live-presence]')?.textContent ?? '').includes(text),
      anOperator,
    );
    expect(await client.textContent('[data-live-presence]')).to.not.include(world.users.operatorAcme.name);

    await operator.fill('textarea[name=body]', 'I am writing an answer');
    await operator.type('textarea[name=body]', '…');
    const typing = t('it', 'live.typing_one', { names: anOperator });
    await client.waitForFunction(
      (text) => (document.querySelector('[data-live-presence]')?.textContent ?? '').includes(text),
      typing,
    );

    await addReply(ctxOf(world.users.teamLead, null), ticket.number, {
      body: 'The lead answered first',
      internal: false,
    });
    await addReply(ctxOf(world.users.teamLead, null), ticket.number, {
      body: 'Lead-only note',
      internal: true,
    });
    await operator.waitForFunction(() =>
      (document.querySelector('ol.timeline')?.textContent ?? '').includes('Lead-only note'),
    );
    await client.waitForFunction(() =>
      (document.querySelector('ol.timeline')?.textContent ?? '').includes('The lead answered first'),
    );
    expect(await operator.isVisible('[data-live-collision]')).to.equal(true);
    expect(await client.textContent('ol.timeline')).to.not.include('Lead-only note');
    expect(await client.textContent('[data-testid="status"]')).to.equal(t('it', 'ticket_status.open'));
  });
});
