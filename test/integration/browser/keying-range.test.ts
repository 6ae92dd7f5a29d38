import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { KeyedRecord } from '../../../models/quality.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { bodies } from '../../support/api.js';
import { launchBrowser } from '../../support/browser.js';
import { makeUser, makeWorld, PASSWORD } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/**
 * The keying screen checks a number field's range as it is typed, reading the number as an
 * Italian keyer writes it (found by the outside test: the page carried the range, and its message,
 * but the script never checked it, so an out-of-range amount went to the server and came back).
 * Keyboard only, Italian page.
 */
describe('keying screen: a number field’s range checked as typed, in Italian (keyboard only)', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let browser: Browser;

  before(async () => {
    tp = await startTestPortal('browser-keying-range');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  it('flags 1.500,00 and -1 outside 0..1000, takes 1.000,00 and 999,5, and saves by Enter (keying by keyboard only)', async () => {
    const world = await makeWorld();
    const keyer = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'it' });
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), String(world.acme.id), {
      name: 'Amounts',
      aql: { critical: 0.65, major: 1, minor: 2.5 },
      fields: [
        { key: 'ref', label: 'Riferimento', type: 'text', required: true },
        { key: 'amount', label: 'Importo', type: 'number', decimals: 2, min: 0, max: 1000, required: true },
      ],
    });
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    await startBatch(ctxOf(keyer, null), ticket.number, String(layout._id));

    const page = await (await browser.newContext({ locale: 'it-IT' })).newPage();
    await page.goto(`${tp.url}/login`);
    await page.fill('input[name=email]', keyer.email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('button[type=submit]')]);
    await page.goto(`${tp.url}/tickets/${ticket.number}/keying`);
    expect(await page.getAttribute('html', 'lang')).to.equal('it');

    const error = () => page.textContent('[id="e-values.amount"]');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('f-values.ref');
    await page.keyboard.type('R-1');
    await page.keyboard.press('Enter');
    for (const [typed, shown] of [
      ['1.500,00', 'Fuori intervallo.'],
      ['-1', 'Fuori intervallo.'],
      ['1.000,00', ''],
      ['999,5', ''],
    ] as const) {
      await page.fill('[id="f-values.amount"]', '');
      await page.keyboard.type(typed);
      expect(await error(), typed).to.equal(shown);
    }
    // Out of range, Enter does not leave the field nor save.
    await page.fill('[id="f-values.amount"]', '');
    await page.keyboard.type('1.000,01');
    await page.keyboard.press('Enter');
    expect(await error()).to.equal('Fuori intervallo.');
    expect(await page.getAttribute('[id="f-values.amount"]', 'aria-invalid')).to.equal('true');
    expect(await KeyedRecord.countDocuments({ tenantId: world.acme._id })).to.equal(0);
    // Within it, Enter on the last field saves.
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('1.000,00');
    expect(await error()).to.equal('');
    await Promise.all([
      page.waitForURL(`${tp.url}/tickets/${ticket.number}/keying`),
      page.keyboard.press('Enter'),
    ]);
    await page.waitForSelector('[data-testid=keyed-records]');
    const stored = await KeyedRecord.find({ tenantId: world.acme._id }).lean();
    expect(stored.map((r) => r.values)).to.deep.equal([{ ref: 'R-1', amount: 1000 }]);
    await page.context().close();
  });
});
