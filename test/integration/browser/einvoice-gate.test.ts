import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { Ticket } from '../../../models/ticket.js';
import { receiveEInvoice } from '../../../server/domain/einvoices/receive-einvoice.js';
import { seriousViolations } from '../../support/axe.js';
import { userCtx } from '../../support/api.js';
import { launchBrowser } from '../../support/browser.js';
import { makeUser, makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA } from '../../domain/einvoices/builders.js';

/**
 * Issue #17 item 5 in a real browser with JavaScript off: a team lead overrides an e-invoice's
 * error from the checklist (an empty reason first), then approves accepting the warnings; axe-core
 * finds nothing serious on the page with its override form, refused or not.
 */
describe('e-invoice findings gate the approval (browser, no JavaScript)', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let number: string;
  let email: string;

  before(async () => {
    tp = await startTestPortal('browser-einvoice-gate');
    world = await makeWorld();
    email = (
      await makeUser({ role: 'team_lead', tenantIds: [world.acme.id], locale: 'en', name: 'Bea Lead' })
    ).email;
    const xml = fatturaPA({
      bodies: [
        {
          number: 'BR-GATE-1',
          summary: [{ rate: '22.00', taxable: '100.00', tax: '30.00' }],
          total: '999.00',
        },
      ],
    });
    const receipt = await receiveEInvoice(
      userCtx(world.users.acmeUser),
      { filename: 'br.xml' },
      Buffer.from(xml),
    );
    number = receipt.invoices[0]!.ticket.number;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  it('overrides the error by its form and approves with the warnings accepted', async () => {
    const context = await browser.newContext({ locale: 'en-GB', javaScriptEnabled: false, bypassCSP: true });
    const page = await context.newPage();
    try {
      await page.goto(`${tp.url}/login`);
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('button[type=submit]')]);
      await page.goto(`${tp.url}/tickets/${number}`);
      expect(await page.locator('[data-testid="approval-blocked"]').innerText()).to.contain(
        'Approval blocked',
      );
      const form = page.locator('[data-testid="finding-override-form"]');
      expect(await form.count()).to.equal(1);

      // axe needs scripts of its own: a second context with JavaScript on reads the same pages.
      const axeContext = await browser.newContext({ locale: 'en-GB', bypassCSP: true });
      await axeContext.addCookies(await context.cookies());
      const axePage = await axeContext.newPage();
      const problems: string[] = [];
      const check = async (html: string) => {
        // Under the portal's address, so its stylesheets apply (axe measures the colours too).
        await axePage.goto(`${tp.url}/static/css/app.css`);
        await axePage.setContent(html.replace('<head>', `<head><base href="${tp.url}/">`));
        for (const v of await seriousViolations(axePage))
          problems.push(`${v.id}: ${v.help} ${v.nodes.join(' ')}`);
      };
      await check(await page.content());

      await form.locator('button[type=submit]').click();
      await page.waitForLoadState();
      const error = page.locator('[data-testid="finding-override-form"] .error');
      expect(await error.innerText()).to.equal(
        'Write why this error does not stand in the way of the approval.',
      );
      await check(await page.content());
      expect(problems).to.deep.equal([]);
      await axeContext.close();

      await page
        .locator('[data-testid="finding-override-form"] textarea[name=reason]')
        .fill('Agreed with supplier');
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/tickets/${number}`),
        page.locator('[data-testid="finding-override-form"] button[type=submit]').click(),
      ]);
      expect(await page.locator('[data-testid="finding-override"]').innerText()).to.match(
        /^Overridden by Bea Lead, .+: Agreed with supplier$/,
      );
      expect(await page.locator('[data-testid="approval-blocked"]').count()).to.equal(0);

      const card = page.locator('[data-testid="edit-card"]');
      await card.locator('select[name="fields.approvalOutcome"]').selectOption('approved');
      await card.locator('[data-testid="accept-warnings"]').check();
      await Promise.all([page.waitForLoadState(), card.locator('button[type=submit]').click()]);
      expect(await page.locator('[data-testid="warnings-accepted"]').innerText()).to.match(
        /^Warnings accepted by Bea Lead, /,
      );
      const stored = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
      expect((stored?.fields as Record<string, unknown>).approvalOutcome).to.equal('approved');
    } finally {
      await context.close();
    }
  });
});
