import { expect } from 'chai';
import type { Types } from 'mongoose';
import type { Browser, Page } from 'playwright-core';
import { KeyedRecord } from '../../../models/quality.js';
import type { UserDoc } from '../../../models/user.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { bodies } from '../../support/api.js';
import { launchBrowser, signedInPage } from '../../support/browser.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/** Issue #18 item 3 in the browser: the second keying and the settling, keyboard only. */
describe('double keying in the browser (keyboard only)', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let keyerB: UserDoc;
  let number: string;
  let ticketId: Types.ObjectId;

  before(async () => {
    tp = await startTestPortal('browser-double-keying');
    world = await makeWorld();
    keyerB = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), world.acme.id as string, {
      name: 'Invoices twice',
      aql: { critical: 0.65, major: 1.0, minor: 2.5 },
      doubleKeyCritical: true,
      fields: [
        { key: 'supplier_vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
        { key: 'amount', label: 'Amount', type: 'number', decimals: 2, required: true, class: 'critical' },
        { key: 'doc_type', label: 'Document type', type: 'code', codes: ['INV', 'CN'], class: 'minor' },
      ],
    });
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    const op = ctxOf(world.users.operatorAcme, null);
    await startBatch(op, ticket.number, String(layout._id));
    await keyRecord(op, ticket.number, {
      values: { supplier_vat: 'IT01234567897', amount: '12.50', doc_type: 'INV' },
    });
    number = ticket.number;
    ticketId = ticket._id;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  const focused = (page: Page) =>
    page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name ?? '');

  it('takes the second keying by keyboard, and a team lead settles the difference by keyboard', async () => {
    const { context, page } = await signedInPage(browser, tp.url, keyerB.email);
    await page.goto(`${tp.url}/tickets/${number}/keying/second`);
    expect(await page.textContent('main')).not.to.contain('IT01234567897');
    // The first critical field has the focus; Enter moves on and saves on the last field.
    expect(await focused(page)).to.equal('values.supplier_vat');
    await page.keyboard.type('IT01234567897');
    await page.keyboard.press('Enter');
    expect(await focused(page)).to.equal('values.amount');
    await page.keyboard.type('12.05');
    await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
    await page.waitForSelector('[data-testid=second-none]');
    expect(await page.textContent('.flash')).to.contain('Second keying of record 1 saved.');
    await context.close();

    const lead = await signedInPage(browser, tp.url, world.users.teamLead.email);
    await lead.page.goto(`${tp.url}/tickets/${number}/differences`);
    expect(await lead.page.textContent('[data-testid=first-amount]')).to.equal('12.50'); // with the field's two decimals
    expect(await lead.page.textContent('[data-testid=second-amount]')).to.equal('12.05');
    // The first choice has the focus: the arrows move through the choices, Tab to the typed value.
    expect(await focused(lead.page)).to.equal('choice.amount');
    await lead.page.keyboard.press('ArrowRight');
    await lead.page.keyboard.press('ArrowRight');
    expect(await lead.page.isChecked('input[name="choice.amount"][value=typed]')).to.equal(true);
    await lead.page.keyboard.press('Tab');
    expect(await focused(lead.page)).to.equal('typed.amount');
    await lead.page.keyboard.type('12.55');
    await Promise.all([lead.page.waitForLoadState('load'), lead.page.keyboard.press('Enter')]);
    await lead.page.waitForSelector('[data-testid=differences-none]');
    expect(await lead.page.textContent('.flash')).to.contain('Differences of record 1 settled.');
    const stored = await KeyedRecord.findOne({ ticketId }).setOptions({ allTenants: true }).lean();
    expect(stored?.values).to.deep.equal({ supplier_vat: 'IT01234567897', amount: 12.55, doc_type: 'INV' });
    expect(stored?.unsettled).to.equal(0);
    await lead.context.close();
  });
});
