import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { Ticket } from '../../../models/ticket.js';
import { launchBrowser } from '../../support/browser.js';
import { makeUser, makeWorld, PASSWORD } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/** A client uploads a batch file through the real page, reads the preview and confirms it. */
describe('CSV import in a browser', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let browser: Browser;

  before(async () => {
    tp = await startTestPortal('browser-csv-import');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  it('uploads a `;` file, shows the preview with one row error, and creates the valid rows', async () => {
    const world = await makeWorld();
    const user = await makeUser({
      role: 'client_user',
      tenantId: world.acme.id,
      locale: 'en',
      name: 'Chiara Bianchi',
    });
    const csv = [
      'subject;batchDescription;targetSystem;expectedRecordCount;priority',
      'Delivery notes week 12;Enter the delivery notes of week 12;SAP MM;1.200;high',
      'Delivery notes week 13;Enter the delivery notes of week 13;SAP MM;lots;',
      'Supplier invoices March;Register the March invoices;Zucchetti;300;',
    ].join('\r\n');

    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${tp.url}/tickets/import`);
    expect(new URL(page.url()).pathname).to.equal('/login');
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    expect(new URL(page.url()).pathname).to.equal('/tickets/import');
    expect(await page.textContent('h1')).to.equal('Import tickets from a CSV file');

    await page.setInputFiles('input[name=file]', {
      name: 'week-12.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`\uFEFF${csv}`, 'utf8'),
    });
    await page.click('form[data-testid=import-form] button[type=submit]');
    expect(new URL(page.url()).pathname).to.match(/^\/tickets\/import\/[0-9a-f]{24}$/);
    expect(await page.textContent('h1')).to.equal('Preview: week-12.csv');
    expect(await page.textContent('[data-testid=import-counts]')).to.equal(
      '3 rows read: 2 ready, 1 with errors.',
    );
    expect(await page.locator('tr.row-error').count()).to.equal(1);
    expect(await page.getAttribute('tr.row-error', 'data-row')).to.equal('3');
    expect(await page.textContent('tr.row-error td.cell-error')).to.equal('lots');
    expect(await page.textContent('[data-testid=import-errors]')).to.include(
      'Row 3, Expected records: Enter a whole number, e.g. 1200.',
    );
    expect(await page.textContent('[data-testid=import-only-valid]')).to.include(
      'Rows with errors are not created.',
    );

    await page.click('form[data-testid=import-commit] button[type=submit]');
    expect(await page.textContent('h1')).to.equal('Tickets created from week-12.csv');
    expect(await page.textContent('[data-testid=import-result-count]')).to.equal('2 tickets were created:');
    const links = await page
      .locator('[data-testid=import-created] a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const tickets = await Ticket.find({ tenantId: world.acme._id, channel: 'import' })
      .sort({ seq: 1 })
      .lean<Array<{ number: string; subject: string }>>();
    expect(tickets.map((t) => t.subject)).to.deep.equal([
      'Delivery notes week 12',
      'Supplier invoices March',
    ]);
    expect(links).to.deep.equal(tickets.map((t) => `/tickets/${t.number}`));
    await context.close();
  });
});
