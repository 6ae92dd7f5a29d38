import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pino } from 'pino';
import { SLA_SWEEP_JOB } from '../../../jobs/sla-sweep.js';
import { systemCtx } from '../../../server/domain/context.js';
import { assignTicket } from '../../../server/domain/queues/claims.js';
import { sweepSla } from '../../../server/domain/sla/sweep.js';
import { updateTicket } from '../../../server/domain/tickets/update.js';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import { launchBrowser, signedInPage as signIn } from '../../support/browser.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { frozenContract, quickContract } from '../../support/frozen-contract.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Items 10 and 11 of #14 in a real browser: live rows draw the server's SLA display; my tickets follow. */
describe('readable history in a browser: one timeline presenter, one SLA display, my tickets live', function () {
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

  before(async () => {
    tp = await startTestPortal('browser-readable');
    world = await makeWorld();
    await frozenContract(world.acme._id, 120, 600, 6);
    await quickContract(world.nord._id, 60, 600);
    const queue = await createQueue(
      ctxOf(world.users.admin, null),
      queueInputSchema.parse({ name: 'Acme', tenantIds: [world.acme.id] }),
    );
    queueId = String(queue._id);
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await tp?.stop();
  });

  it('a live queue row shows the business time left the server renders, and it does not tick by the wall clock', async () => {
    const page = await signedInPage(world.users.operatorAcme.email);
    await page.goto(`${tp.url}/queues/${queueId}`);
    await page.waitForSelector('table[data-live="synced"]', { timeout: 10_000 });
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Arrives live');
    const cell = `tr[data-number="${ticket.number}"] [data-sla]`;
    await page.waitForSelector(cell, { timeout: 10_000 });
    const live = (await page.textContent(cell))?.replace(/\s+/g, ' ').trim();
    expect(live).to.equal('On track 2 h 00 min left');
    await page.waitForTimeout(1500);
    expect((await page.textContent(cell))?.replace(/\s+/g, ' ').trim()).to.equal(live);
    await page.reload();
    await page.waitForSelector('table[data-live="synced"]', { timeout: 10_000 });
    expect((await page.textContent(cell))?.replace(/\s+/g, ' ').trim()).to.equal(live);
  });

  it('"my tickets" gains a ticket assigned to me without a reload; empty, it says so', async () => {
    const me = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    const page = await signedInPage(me.email);
    await page.goto(`${tp.url}/queues`);
    const mine = '[data-testid="my-tickets"] tbody';
    expect((await page.textContent(mine))?.trim()).to.equal('Nothing here.');
    await page.waitForFunction(() =>
      Boolean((window as unknown as { DeskLive?: { hasStrings(): boolean } }).DeskLive?.hasStrings()),
    );
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Assigned to me');
    await assignTicket(ctxOf(world.users.teamLead, null), ticket.number, String(me.id));
    const row = `${mine} tr[data-number="${ticket.number}"]`;
    await page.waitForSelector(row, { timeout: 10_000 });
    expect(await page.textContent('[data-count="mine"]')).to.equal('1');
    expect(await page.locator(`${mine} [data-empty-row]`).count()).to.equal(0);
    const liveSla = (await page.textContent(`${row} [data-sla]`))?.replace(/\s+/g, ' ').trim();
    await page.reload();
    expect((await page.textContent(`${row} [data-sla]`))?.replace(/\s+/g, ' ').trim()).to.equal(liveSla);
  });

  it('SLA and field entries that arrive live read exactly as after a reload', async () => {
    const ticket = await makeTicket(world.users.nordUser, world.nord, 'Watched live');
    const page = await signedInPage(world.users.operatorBoth.email);
    await page.goto(`${tp.url}/tickets/${ticket.number}`);
    await page.waitForSelector('article[data-live="watching"]', { timeout: 10_000 });

    await updateTicket(ctxOf(world.users.operatorBoth, null), ticket.number, { priority: 'high' });
    // Half the first-response time gone: the sweep records a warning, an internal SLA entry.
    await sweepSla(systemCtx(pino({ level: 'silent' }), SLA_SWEEP_JOB), new Date(Date.now() + 40_000));
    await page.waitForSelector('li.entry-sla', { timeout: 10_000 });
    await page.waitForSelector('li.entry-fields', { timeout: 10_000 });
    const entries = async () =>
      page.$$eval('ol.timeline > li', (items) =>
        items.map((li) => (li.textContent ?? '').replace(/\s+/g, ' ').trim()),
      );
    const live = await entries();
    const sla = live.find((e) => e.startsWith('SLA '));
    expect(sla).to.be.a('string').and.include('50%');
    expect(live.join(' '))
      .to.include('Priority: Normal → High')
      .and.not.include('fields.')
      .and.not.include('sla.sweep');
    await page.reload();
    await page.waitForSelector('li.entry-sla');
    expect(await entries()).to.deep.equal(live);
  });
});
