import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CsatRating } from '../../../models/csat-rating.js';
import { signSurveyLink } from '../../../server/domain/csat/link-token.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { launchBrowser } from '../../support/browser.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { complaintInput, ctxOf } from '../../support/tickets.js';

/**
 * Issue 19, item 5, in a real browser: the rating link of the resolved mail sends its rating at
 * once when the page can run its script (public/js/csat.js: one click in the mail is the whole
 * rating), once per tab and link (going back does not send it again); without JavaScript (a
 * mail scanner, or a reader who turned it off) the page records nothing until its button is pressed.
 */
describe('CSAT survey page in a browser (with and without JavaScript)', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    tp = await startTestPortal('browser-csat');
    world = await makeWorld();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await tp?.stop();
  });

  /** A resolved ticket waiting for its rating, and its signed survey token. */
  async function awaitingRating(subject: string) {
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      complaintInput(subject),
      'portal',
    );
    const expiresAt = new Date(Date.now() + 86_400_000);
    await CsatRating.create({
      tenantId: world.acme._id,
      ticketId: ticket._id,
      number: ticket.number,
      resolution: 1,
      resolvedAt: new Date(),
      expiresAt,
      type: ticket.type,
      priority: ticket.priority,
    });
    const token = signSurveyLink({
      tenantId: String(world.acme._id),
      ticketId: String(ticket._id),
      resolution: 1,
      locale: 'en',
      expiresAt,
    });
    const rating = () => CsatRating.findOne({ tenantId: world.acme._id, ticketId: ticket._id }).lean();
    return { token, rating };
  }

  async function newPage(javaScriptEnabled: boolean): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-GB', javaScriptEnabled });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    return page;
  }

  it('with JavaScript, opening the link records its rating at once, and going back does not send it again', async () => {
    const { token, rating } = await awaitingRating('Parcel left at the wrong door');
    const page = await newPage(true);
    await page.goto(`${tp.url}/csat/${token}?score=5`);
    await page.waitForURL((url) => url.pathname === `/csat/${token}/comment`);
    await page.locator('textarea[name=comment]').waitFor();
    expect((await rating())?.score).to.equal(5);
    // Another score's link in the same tab changes the rating (one rating per resolution).
    await page.goto(`${tp.url}/csat/${token}?score=2`);
    await page.waitForURL((url) => url.pathname === `/csat/${token}/comment`);
    const changed = await rating();
    expect(changed?.score).to.equal(2);
    // Back to the first link's page: the tab sent that one already, so it stays a page.
    await page.goto(`${tp.url}/csat/${token}?score=5`);
    await page.locator('form[data-auto-submit] button[type=submit]').waitFor();
    await page.waitForTimeout(500);
    expect(new URL(page.url()).pathname).to.equal(`/csat/${token}`);
    const after = await rating();
    expect(after?.score).to.equal(2);
    expect(after?.changes).to.equal(changed?.changes);
  });

  it('without JavaScript, the page only asks: the button records the rating', async () => {
    const { token, rating } = await awaitingRating('Invoice sent twice');
    const page = await newPage(false);
    await page.goto(`${tp.url}/csat/${token}?score=4`);
    const button = page.locator('form[data-auto-submit] button[type=submit]');
    await button.waitFor();
    await page.waitForTimeout(500);
    expect(new URL(page.url()).pathname).to.equal(`/csat/${token}`);
    expect((await rating())?.score ?? null).to.equal(null);
    await button.click();
    await page.waitForURL((url) => url.pathname === `/csat/${token}/comment`);
    expect((await rating())?.score).to.equal(4);
    // The optional comment, still without a script.
    await page.fill('textarea[name=comment]', 'Quick and kind.');
    await page.click('form button[type=submit]');
    await page.waitForLoadState();
    const row = await rating();
    expect(row?.score).to.equal(4);
    expect(row?.comment).to.equal('Quick and kind.');
  });
});
