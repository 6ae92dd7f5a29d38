import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Ticket } from '../../../models/ticket.js';
import { launchBrowser, signedInPage } from '../../support/browser.js';
import { makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeTicket } from '../../support/tickets.js';

/** Issue 16, item 2 in a real browser: send and set the status without a page load; drafts kept. */
describe('the one-step reply in a browser', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    tp = await startTestPortal('browser-one-step-reply');
    world = await makeWorld();
    browser = await launchBrowser();
    ({ context, page } = await signedInPage(browser, tp.url, world.users.operatorAcme.email));
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await tp?.stop();
  });

  const stored = (number: string) => Ticket.findOne({ tenantId: world.acme._id, number }).lean();

  /** The ticket page, live, with a mark that only survives as long as the page is not loaded again. */
  async function openTicket(number: string) {
    await page.goto(`${tp.url}/tickets/${number}`);
    await page.waitForSelector('article.ticket[data-live="watching"]', { timeout: 10_000 });
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
  }
  const stayed = () => page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed === true);
  const entryWith = (text: string) =>
    page.waitForSelector(`[data-testid="timeline"] li:has-text("${text}")`, { timeout: 10_000 });

  it('keeps a draft over a reload, then "send and resolve" sends it without a page load and clears it', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Browser resolve');
    await openTicket(ticket.number);
    await page.fill('textarea[name=body]', 'Registered in the ERP today.');
    await page.reload();
    await page.waitForSelector('article.ticket[data-live="watching"]', { timeout: 10_000 });
    expect(await page.inputValue('textarea[name=body]')).to.equal('Registered in the ERP today.');
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });

    await page.click('button[data-testid="send-resolved"]');
    await entryWith('Registered in the ERP today.');
    await page.waitForSelector('[data-composer-status]:has-text("Sent; the ticket is now Resolved.")');
    expect(await stayed()).to.equal(true);
    expect(await page.inputValue('textarea[name=body]')).to.equal('');
    // The fresh composer offers what the domain allows from resolved: plain "send" only.
    expect(await page.locator('button[data-testid="send-resolved"]').count()).to.equal(0);
    const after = await stored(ticket.number);
    expect(after?.status).to.equal('resolved');
    expect(String(after?.assignee?.id)).to.equal(String(world.users.operatorAcme._id));
    // The live update brings the status badge and the other entries of the action.
    await page.waitForSelector('[data-testid="status"]:has-text("Resolved")', { timeout: 10_000 });
    // One's own reply arriving live is no "someone replied meanwhile".
    expect(await page.locator('[data-live-collision]').count()).to.equal(0);
    const drafts = await page.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.startsWith('desk-draft:')),
    );
    expect(drafts).to.deep.equal([]);

    await page.reload();
    await page.waitForSelector('article.ticket[data-live="watching"]', { timeout: 10_000 });
    expect(await page.inputValue('textarea[name=body]')).to.equal('');
  });

  it('refreshes the side cards after a send: who has the ticket and the status moves now offered', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Browser side cards');
    await openTicket(ticket.number);
    expect(await page.locator('[data-testid="status-card"] [data-testid="take"]').count()).to.equal(1);
    expect(await page.locator('[data-testid="move-resolved"]').count()).to.equal(1);
    await page.fill('textarea[name=body]', 'Taking this one and waiting for the PO.');
    await page.click('button[data-testid="send-pending"]');
    await page.waitForSelector(
      '[data-composer-status]:has-text("Sent; the ticket is now Waiting for client.")',
    );
    expect(await stayed()).to.equal(true);
    // Swapped in from the answer itself (the live update never redraws these cards).
    await page.waitForSelector(`[data-testid="assignee"]:has-text("${world.users.operatorAcme.name}")`, {
      timeout: 5_000,
    });
    expect(await page.locator('[data-testid="status-card"] [data-testid="take"]').count()).to.equal(0);
    expect(await page.locator('[data-testid="status-card"] [data-testid="release"]').count()).to.equal(1);
    expect(await page.locator('[data-testid="move-pending"]').count()).to.equal(0);
    expect(((await page.textContent('[data-testid="status"]')) ?? '').trim()).to.equal('Waiting for client');
    // The swapped forms still work: release, as printed by the server (a page load).
    await Promise.all([
      page.waitForURL(`**/tickets/${ticket.number}`),
      page.click('[data-testid="release"]'),
    ]);
    expect((await stored(ticket.number))?.assignee ?? null).to.equal(null);
  });

  it('sends with Ctrl+Enter, without a page load', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Browser shortcut');
    await openTicket(ticket.number);
    await page.fill('textarea[name=body]', 'Sent from the keyboard.');
    await page.press('textarea[name=body]', 'Control+Enter');
    await entryWith('Sent from the keyboard.');
    expect(await stayed()).to.equal(true);
    expect(await page.inputValue('textarea[name=body]')).to.equal('');
    expect((await stored(ticket.number))?.status).to.equal('open');
  });
  it('shows a refusal in the composer the server renders, without a page load', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Browser refusal');
    await openTicket(ticket.number);
    await page.click('button[data-testid="send-pending"]');
    await page.waitForSelector('textarea[name=body][aria-invalid="true"]', { timeout: 10_000 });
    expect(await stayed()).to.equal(true);
    expect(((await page.textContent('[data-composer-status]')) ?? '').trim()).to.not.equal('');
    expect((await stored(ticket.number))?.status).to.equal('new');
  });

  it('works without JavaScript: "send and set pending" posts the form and comes back with a message', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Browser no script');
    const plain = await browser.newContext({ locale: 'en-GB', javaScriptEnabled: false });
    try {
      const p = await plain.newPage();
      await p.goto(`${tp.url}/login`);
      await p.fill('input[name=email]', world.users.operatorAcme.email);
      await p.fill('input[name=password]', PASSWORD);
      await p.click('button[type=submit]');
      await p.waitForURL((url) => url.pathname === '/');
      await p.goto(`${tp.url}/tickets/${ticket.number}`);
      await p.fill('textarea[name=body]', 'Which cost centre?');
      await Promise.all([
        p.waitForURL((url) => url.pathname === `/tickets/${ticket.number}` && url.hash === '#latest'),
        p.click('button[data-testid="send-pending"]'),
      ]);
      expect(await p.textContent('.flash')).to.include('Sent; the ticket is now Waiting for client.');
      expect(await p.textContent('[data-testid="timeline"]')).to.include('Which cost centre?');
      expect((await stored(ticket.number))?.status).to.equal('pending');
    } finally {
      await plain.close();
    }
  });
});
