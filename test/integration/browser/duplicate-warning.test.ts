import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { launchBrowser, signedInPage } from '../../support/browser.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/** Issue 16, item 5 in a real browser: the new invoice form warns of a duplicate while typing. */
describe('the duplicate invoice warning in a browser', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    tp = await startTestPortal('browser-duplicate-warning');
    world = await makeWorld();
    browser = await launchBrowser();
    ({ context, page } = await signedInPage(browser, tp.url, world.users.acmeUser.email));
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await tp?.stop();
  });

  it('warns while the supplier VAT and number match an earlier invoice, and stops when they do not', async () => {
    const first = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse({
        type: 'invoice',
        subject: 'Invoice W-7',
        priority: 'normal',
        fields: {
          supplierName: 'Fornitore',
          supplierVat: 'IT01234567897',
          invoiceNumber: 'W-7',
          issueDate: '2026-11-02',
          dueDate: '2026-12-02',
          currency: 'EUR',
          amount: 50,
        },
      }),
      'portal',
    );
    let asked = 0;
    page.on('request', (req) => {
      if (req.url().includes('/duplicate-check')) asked++;
    });
    await page.goto(`${tp.url}/tickets/new/invoice`);
    const warning = page.locator('[data-testid="duplicate-warning"]');
    expect(await warning.isHidden()).to.equal(true);
    await page.fill('input[name="fields.issueDate"]', '2026-11-02');
    await page.fill('input[name="fields.supplierVat"]', 'IT 01234567897');
    // Typed key by key: the debounce asks once for the whole number, not once per key.
    await page.locator('input[name="fields.invoiceNumber"]').pressSequentially('w-7', { delay: 30 });
    await warning.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await warning.textContent()).to.include(first.number);
    expect(asked).to.be.at.most(2);
    await page.locator('input[name="fields.invoiceNumber"]').pressSequentially('1');
    await warning.waitFor({ state: 'hidden', timeout: 10_000 });
  });
});
