import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Ticket } from '../../../models/ticket.js';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import { launchBrowser, signedInPage as signIn } from '../../support/browser.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Issue 16, item 4: the queue page's keys (j/k, Enter, t, n, r, ?), ignored while typing. */
describe('queue page keyboard paths', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let queueUrl: string;
  const contexts: BrowserContext[] = [];
  const made: Array<Awaited<ReturnType<typeof makeTicket>>> = [];

  async function signedInPage(email: string): Promise<Page> {
    const { context, page } = await signIn(browser, tp.url, email, {
      locale: 'en-GB',
      viewport: { width: 1440, height: 900 },
    });
    contexts.push(context);
    return page;
  }
  const currentNumber = (page: Page) =>
    page.$eval('table[data-testid="queue"] tbody tr.is-current', (r) => r.getAttribute('data-number'));
  const assigneeOf = async (number: string) =>
    (await Ticket.findOne({ tenantId: world.acme._id, number }).lean())?.assignee?.id ?? null;

  before(async () => {
    tp = await startTestPortal('queue-keys');
    world = await makeWorld();
    const queue = await createQueue(
      ctxOf(world.users.admin, null),
      queueInputSchema.parse({ name: 'Keys queue', tenantIds: [world.acme.id], order: 'oldest' }),
    );
    queueUrl = `${tp.url}/queues/${String(queue._id)}`;
    for (const subject of ['Keys first', 'Keys second', 'Keys third', 'Keys fourth'])
      made.push(await makeTicket(world.users.acmeUser, world.acme, subject));
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await tp?.stop();
  });

  it('j/k move, ? lists the keys, typing in a field is left alone, Enter and r open the ticket', async () => {
    const page = await signedInPage(world.users.operatorAcme.email);
    await page.goto(queueUrl);
    await page.keyboard.press('j');
    expect(await currentNumber(page)).to.equal(made[0]!.number);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await currentNumber(page)).to.equal(made[2]!.number);
    await page.keyboard.press('k');
    expect(await currentNumber(page)).to.equal(made[1]!.number);

    await page.keyboard.press('?');
    const dialog = page.locator('dialog[data-keys-dialog]');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.textContent())
      .to.include('Keyboard shortcuts')
      .and.include('Get next');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await page.click('details.queue-view summary');
    await page.fill('input[name=q]', 'jk');
    await page.keyboard.press('j');
    expect(await currentNumber(page), 'typing moves no row').to.equal(made[1]!.number);
    expect(await page.inputValue('input[name=q]')).to.equal('jkj');
    await page.locator('input[name=q]').blur();

    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === `/tickets/${made[1]!.number}`);
    await page.goto(queueUrl);
    await page.keyboard.press('j');
    await page.keyboard.press('r');
    await page.waitForURL(
      (url) => url.pathname === `/tickets/${made[0]!.number}` && url.hash === '#composer',
    );
    expect(await page.locator('#composer').count()).to.equal(1);
  });

  it('t takes the row the keys are on, n gets the next one', async () => {
    const page = await signedInPage(world.users.operatorAcme.email);
    await page.goto(queueUrl);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await currentNumber(page)).to.equal(made[1]!.number);
    await page.keyboard.press('t');
    await page.waitForURL((url) => url.pathname === `/tickets/${made[1]!.number}`);
    expect(String(await assigneeOf(made[1]!.number))).to.equal(String(world.users.operatorAcme._id));

    await page.goto(queueUrl);
    await page.keyboard.press('n');
    // The oldest unassigned ticket of the queue is the first one.
    await page.waitForURL((url) => url.pathname === `/tickets/${made[0]!.number}`);
    expect(String(await assigneeOf(made[0]!.number))).to.equal(String(world.users.operatorAcme._id));
  });
});
