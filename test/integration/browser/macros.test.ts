import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Ticket } from '../../../models/ticket.js';
import { macroInputSchema } from '../../../server/domain/macros/macro-input.js';
import { saveMacro } from '../../../server/domain/macros/save-macro.js';
import { launchBrowser, signedInPage } from '../../support/browser.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Issue 16, item 3 in a real browser: choose a macro, read its preview, apply it. */
describe('macros in a browser', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    tp = await startTestPortal('browser-macros');
    world = await makeWorld();
    browser = await launchBrowser();
    ({ context, page } = await signedInPage(browser, tp.url, world.users.operatorAcme.email));
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await tp?.stop();
  });

  it("previews the chosen macro in the requester's language and applies it with its changes", async () => {
    const macro = await saveMacro(
      ctxOf(world.users.teamLead, null),
      null,
      macroInputSchema.parse({
        name: 'Resolved with thanks',
        tenantId: String(world.acme._id),
        type: 'complaint',
        body_en: 'Dear {{requester.name}}, {{ticket.number}} is solved. {{operator.name}}',
        body_it: 'Gentile {{requester.name}}, il ticket {{ticket.number}} è risolto. {{operator.name}}',
        body_da: 'Kære {{requester.name}}, sag {{ticket.number}} er løst. {{operator.name}}',
        status: 'resolved',
        tags: 'macro-done',
        fieldChanges: 'outcome=Refund issued',
      }),
    );
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Browser macro');
    await page.goto(`${tp.url}/tickets/${ticket.number}`);
    // Choosing is enough: the page script asks for the preview.
    await page.selectOption('select[data-testid="macro-select"]', String(macro._id));
    const text = await page.waitForSelector('[data-testid="macro-text"]', { timeout: 10_000 });
    const expected = `Gentile ${world.users.acmeUser.name}, il ticket ${ticket.number} è risolto. ${world.users.operatorAcme.name}`;
    expect((await text.textContent())?.trim()).to.equal(expected);
    expect(await page.textContent('[data-testid="macro-changes"]')).to.include('Refund issued');
    await page.click('button[data-testid="macro-apply"]');
    await page.waitForURL((url) => url.pathname === `/tickets/${ticket.number}`);
    await page.waitForSelector(`[data-testid="timeline"] li.entry-reply:has-text("${expected}")`);
    const entry = page.locator('[data-testid="timeline"] li.entry-reply').last();
    expect(await entry.textContent()).to.include('Macro “Resolved with thanks” applied');
    const stored = await Ticket.findOne({ tenantId: world.acme._id, number: ticket.number }).lean();
    expect(stored?.status).to.equal('resolved');
    expect(stored?.tags).to.include('macro-done');
    expect((stored?.fields as { outcome?: string }).outcome).to.equal('Refund issued');
  });
});
