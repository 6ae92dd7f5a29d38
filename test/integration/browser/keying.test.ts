import { expect } from 'chai';
import type { Types } from 'mongoose';
import type { Browser, Page } from 'playwright-core';
import { KeyedRecord } from '../../../models/quality.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { bodies } from '../../support/api.js';
import { launchBrowser } from '../../support/browser.js';
import { makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeAttachment } from '../../support/tickets.js';

/** Issue #18 item 1: the keying screen, used with the keyboard only, beside the source document. */
describe('keying screen in the browser (keyboard only)', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let number: string;
  let ticketId: Types.ObjectId;

  before(async () => {
    tp = await startTestPortal('browser-keying');
    world = await makeWorld();
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), world.acme.id as string, {
      name: 'Delivery notes',
      aql: { critical: 0.65, major: 1.0, minor: 2.5 },
      fields: [
        { key: 'supplier_vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
        { key: 'amount', label: 'Amount', type: 'number', decimals: 2, required: true },
        { key: 'doc_type', label: 'Document type', type: 'code', codes: ['INV', 'CN'], class: 'minor' },
      ],
    });
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    await makeAttachment(world.users.acmeUser, world.acme, ticket);
    await startBatch(ctxOf(world.users.operatorAcme, null), ticket.number, String(layout._id));
    number = ticket.number;
    ticketId = ticket._id;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  async function signIn(): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${tp.url}/login`);
    await page.fill('input[name=email]', world.users.operatorAcme.email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('button[type=submit]')]);
    return page;
  }

  it('keys a record with Enter between fields, checking each field as it is typed', async () => {
    const page = await signIn();
    await page.goto(`${tp.url}/tickets/${number}/keying`);
    // The source document (the ticket's first attachment) is shown beside the form.
    expect(await page.getAttribute('iframe.keying-frame', 'src')).to.equal(
      `/tickets/${number}/keying/source`,
    );
    const source = await page.request.get(`${tp.url}/tickets/${number}/keying/source`);
    expect(source.status()).to.equal(200);
    expect(source.headers()['content-type']).to.equal('image/png');
    // The first field has the focus: no mouse from here on.
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('f-values.supplier_vat');
    await page.keyboard.type('IT01234567897');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('f-values.amount');
    await page.keyboard.type('12.5055');
    expect(await page.textContent('[id="e-values.amount"]')).to.equal('Too many decimals.');
    expect(await page.getAttribute('[id="f-values.amount"]', 'aria-invalid')).to.equal('true');
    // Enter does not leave a wrong field.
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('f-values.amount');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    expect(await page.textContent('[id="e-values.amount"]')).to.equal('');
    await page.keyboard.press('Tab');
    await page.keyboard.type('XX');
    expect(await page.textContent('[id="e-values.doc_type"]')).to.equal(
      'Not one of the codes of this field.',
    );
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('inv');
    // Enter on the last field saves the record; the form comes back empty, the first field focused.
    await Promise.all([page.waitForURL(`${tp.url}/tickets/${number}/keying`), page.keyboard.press('Enter')]);
    await page.waitForSelector('[data-testid=keyed-records]');
    expect(await page.textContent('.flash')).to.contain('Record 1 saved.');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('f-values.supplier_vat');
    const stored = await KeyedRecord.find({ ticketId }).setOptions({ allTenants: true }).lean();
    expect(stored.map((r) => r.values)).to.deep.equal([
      { supplier_vat: 'IT01234567897', amount: 12.5, doc_type: 'INV' },
    ]);
    // A value only the server can judge (the VAT check digit) comes back with its message, typed values kept.
    await page.keyboard.type('IT01234567890');
    await page.keyboard.press('Enter');
    await page.keyboard.type('3');
    await page.keyboard.press('Enter');
    await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
    await page.waitForSelector('[id="f-values.supplier_vat"][aria-invalid=true]');
    expect(await page.inputValue('[id="f-values.supplier_vat"]')).to.equal('IT01234567890');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('f-values.supplier_vat');
    await page.context().close();
  });
});
