import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { formatDate } from '../../../server/i18n/format.js';
import { launchBrowser, signedInPage } from '../../support/browser.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA, ubl } from '../../domain/einvoices/builders.js';
import { makeSigner, type Signer } from '../../domain/einvoices/openssl.js';
import { zip } from '../../domain/einvoices/zip.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Issue 17 in a real browser: a client user chooses several e-invoice files and a ZIP on the
 * invoice form, sees the tickets they opened, and reads each as an invoice (lines, VAT summary,
 * payment terms) in their own language (en, it, da), the original downloadable from the page.
 */
describe('e-invoice upload and the readable invoice in a browser', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let signer: Signer;
  const contexts: BrowserContext[] = [];

  before(async () => {
    tp = await startTestPortal('browser-einvoice-upload');
    world = await makeWorld();
    browser = await launchBrowser();
    signer = makeSigner();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    signer?.cleanup();
    await tp?.stop();
  });

  /** Signed in as `email`; the page's language is the user's own (the tenant's when the user has none). */
  async function open(email: string, locale: string): Promise<Page> {
    const { context, page } = await signedInPage(browser, tp.url, email, { locale });
    contexts.push(context);
    return page;
  }

  const fattura = Buffer.from(
    fatturaPA({
      bodies: [
        {
          number: 'BRW-1',
          lines: [
            {
              description: 'Trasporto Verona–Milano',
              quantity: '2',
              unitPrice: '12345.50',
              total: '24691.00',
              rate: '22',
            },
            { description: 'Pedaggi', quantity: '1', unitPrice: '309.00', total: '309.00', rate: '22' },
          ],
          summary: [{ rate: '22', taxable: '25000.00', tax: '5500.00' }],
          total: '30500.00',
          due: [{ date: '2026-04-30', amount: '30500.00' }],
        },
        { number: 'BRW-2' },
      ],
    }),
  );
  const peppol = Buffer.from(ubl({ id: 'BRW-PEP' }));
  const archive = (): Buffer =>
    zip([
      { name: 'oio.xml', data: Buffer.from(ubl({ id: 'BRW-OIO', flavour: 'oioubl' })) },
      {
        name: 'firmata.xml.p7m',
        data: signer.sign(Buffer.from(fatturaPA({ bodies: [{ number: 'BRW-P7M' }] }))),
      },
    ]);

  let fatturaTicket = '';

  it('uploads several files and a ZIP from the form and lists one ticket per invoice', async () => {
    const page = await open(world.users.acmeUser.email, 'it-IT');
    await page.goto(`${tp.url}/tickets/new/invoice`);
    const form = page.locator('form[data-testid="einvoice-upload"]');
    await form.locator('input[type=file][name=einvoices]').setInputFiles([
      { name: 'IT01234567897_BRW.xml', mimeType: 'application/xml', buffer: fattura },
      { name: 'peppol.xml', mimeType: 'text/xml', buffer: peppol },
      { name: 'lotto.zip', mimeType: 'application/zip', buffer: archive() },
    ]);
    await form.locator('button[type=submit]').click();
    const results = page.locator('[data-testid="einvoice-results"]');
    await results.waitFor({ state: 'visible', timeout: 60_000 });
    const links = page.locator('[data-testid="einvoice-ticket"]');
    expect(await links.count()).to.equal(5); // two bodies, Peppol, and the ZIP's OIOUBL and signed FatturaPA
    const text = await results.innerText();
    for (const name of ['IT01234567897_BRW.xml', 'peppol.xml', 'lotto.zip']) expect(text).to.include(name);
    fatturaTicket = (await links.first().getAttribute('href'))!.replace('/tickets/', '');

    // The first ticket opens from the list, with the readable invoice in Italian.
    await links.first().click();
    await page.waitForURL((url) => url.pathname === `/tickets/${fatturaTicket}`);
    const panel = page.locator('[data-testid="einvoice"]');
    await panel.waitFor({ state: 'visible' });
    expect(await panel.locator('h2').innerText()).to.equal('Fattura elettronica');
    const lines = await page.locator('[data-testid="einvoice-lines"] tbody tr').allInnerTexts();
    expect(lines).to.have.length(2);
    expect(lines[0]).to.include('Trasporto Verona–Milano');
    expect(lines[0]).to.include('12.345,50');
    expect(lines[0]).to.include('24.691,00');
    const vat = await page.locator('[data-testid="einvoice-vat"] tbody tr').allInnerTexts();
    expect(vat).to.have.length(1);
    expect(vat[0]).to.include('25.000,00');
    expect(vat[0]).to.include('5500,00'); // Italian groups thousands from five digits on
    const panelText = await panel.innerText();
    expect(panelText).to.include(formatDate('2026-04-30T12:00:00Z', 'it', 'UTC'));
    expect(panelText).to.include('30.500,00');
    expect(panelText).to.include('Bonifico');
    expect(panelText).to.include('Pagamento completo');
    expect(panelText).to.not.match(/einvoices?\w*\.\w+\./);

    // The original downloads from the page's link, byte for byte.
    const href = await page.locator('[data-testid="einvoice-original"]').getAttribute('href');
    const download = await page.request.get(`${tp.url}${href}`);
    expect(download.status()).to.equal(200);
    expect(sha(await download.body())).to.equal(sha(fattura));
  });

  for (const [locale, expected] of [
    [
      'en-GB',
      {
        heading: 'E-invoice',
        price: '12,345.50',
        tax: '5,500.00',
        means: 'Bank transfer',
        condition: 'Payment in full',
        lang: 'en',
      },
    ],
    [
      'da-DK',
      {
        heading: 'E-faktura',
        price: '12.345,50',
        tax: '5.500,00',
        means: 'Bankoverførsel',
        condition: 'Fuld betaling',
        lang: 'da',
      },
    ],
  ] as const) {
    it(`shows the same invoice in ${expected.lang}: lines, VAT summary and payment terms`, async () => {
      expect(fatturaTicket, 'the upload test ran first').to.not.equal('');
      // Staff of acme who read English and Danish (their own language setting).
      const reader = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: expected.lang });
      const page = await open(reader.email, locale);
      await page.goto(`${tp.url}/tickets/${fatturaTicket}`);
      const panel = page.locator('[data-testid="einvoice"]');
      expect(await panel.locator('h2').innerText()).to.equal(expected.heading);
      const lines = await page.locator('[data-testid="einvoice-lines"] tbody tr').allInnerTexts();
      expect(lines[0]).to.include(expected.price);
      const vat = await page.locator('[data-testid="einvoice-vat"] tbody tr').allInnerTexts();
      expect(vat[0]).to.include(expected.tax);
      const panelText = await panel.innerText();
      expect(panelText).to.include(formatDate('2026-04-30T12:00:00Z', expected.lang, 'UTC'));
      expect(panelText).to.include(expected.means);
      expect(panelText).to.include(expected.condition);
      expect(panelText).to.not.match(/einvoices?\w*\.\w+\./);
      const href = await page.locator('[data-testid="einvoice-original"]').getAttribute('href');
      expect((await page.request.get(`${tp.url}${href}`)).status()).to.equal(200);
    });
  }

  it("shows a UBL invoice's payment means in the reader's language too", async () => {
    const page = await open(world.users.acmeUser.email, 'it-IT');
    await page.goto(`${tp.url}/tickets/new/invoice`);
    const form = page.locator('form[data-testid="einvoice-upload"]');
    await form
      .locator('input[type=file][name=einvoices]')
      .setInputFiles([
        { name: 'peppol-2.xml', mimeType: 'text/xml', buffer: Buffer.from(ubl({ id: 'BRW-PEP-2' })) },
      ]);
    await form.locator('button[type=submit]').click();
    const link = page.locator('[data-testid="einvoice-ticket"]');
    await link.first().waitFor({ state: 'visible', timeout: 60_000 });
    await link.first().click();
    const panel = page.locator('[data-testid="einvoice"]');
    await panel.waitFor({ state: 'visible' });
    const italian = await panel.innerText();
    expect(italian).to.include('Bonifico (30)'); // UNCL 4461 code 30, credit transfer
    expect(italian).to.include('Netto 30 dage'); // the file's own note, as written
    const reader = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'en' });
    const english = await open(reader.email, 'en-GB');
    await english.goto(page.url());
    expect(await english.locator('[data-testid="einvoice"]').innerText()).to.include('Credit transfer (30)');
  });
});
