import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Queue } from '../../../models/queue.js';
import { priorities, priorityRank, Ticket } from '../../../models/ticket.js';
import { seriousViolations } from '../../support/axe.js';
import { launchBrowser } from '../../support/browser.js';
import { makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeAttachment, makeTicket } from '../../support/tickets.js';

type UserKey = keyof World['users'];

/**
 * axe-core over the main pages of every role, in a real browser: the pages each role's menu
 * links to, the detail pages one click further, a ticket, the new-ticket forms (blank and
 * refused). Any serious or critical violation fails, naming the page, the rule and the elements.
 */
describe('accessibility of the main pages of every role (axe-core)', function () {
  this.timeout(180_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let ticketNumber: string;

  before(async () => {
    tp = await startTestPortal('browser-a11y');
    world = await makeWorld();
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Parcel never arrived');
    await makeAttachment(world.users.acmeUser, world.acme, ticket);
    ticketNumber = ticket.number;
    // Every status badge and priority on the lists (the colours axe measures).
    const statuses = ['open', 'pending', 'resolved', 'closed'] as const;
    for (const [i, status] of statuses.entries()) {
      const other = await makeTicket(world.users.acmeUser, world.acme, `Other ${status}`);
      const priority = priorities[i % priorities.length]!;
      await Ticket.updateOne(
        { _id: other._id, tenantId: world.acme._id },
        { $set: { status, priority, priorityRank: priorityRank[priority] } },
      );
    }
    await Queue.create({ name: 'Everything', key: 'a11y-all' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  async function signIn(user: UserKey): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ locale: 'en-GB', bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${tp.url}/login`);
    await page.fill('input[name=email]', world.users[user].email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('button[type=submit]')]);
    return { context, page };
  }

  /** Links on a page (same origin, no downloads), matching a pattern. */
  async function linksOn(page: Page, pattern: RegExp): Promise<string[]> {
    const hrefs = await page
      .locator('main a[href^="/"]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    return [...new Set(hrefs.filter((h) => pattern.test(h) && !/\.(csv|pdf)(\?|$)|\/attachments\//.test(h)))];
  }

  async function check(page: Page, path: string, problems: string[]): Promise<void> {
    const res = await page.goto(`${tp.url}${path}`);
    expect(res?.status(), path).to.be.below(400);
    for (const v of await seriousViolations(page))
      problems.push(`${path} [${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).join('\n    ')}`);
  }

  const extras: Record<string, (page: Page) => Promise<string[]>> = {
    // One step further than the menu: the first detail page each list links to.
    details: async (page) => {
      const found: string[] = [];
      for (const [list, pattern] of [
        ['/queues', /^\/queues\/(?!manage)[0-9a-f]{24}$/],
        ['/queues/manage', /^\/queues\/manage\/(new|[0-9a-f]{24})$/],
        ['/macros', /^\/macros\/(new|[0-9a-f]{24})$/],
        ['/reports', /^\/reports\/[0-9a-f]{24}(\/|$)/],
        ['/admin/tenants', /^\/admin\/tenants\/(new|[0-9a-f]{24})$/],
        ['/admin/staff', /^\/admin\/staff\/(new|[0-9a-f]{24})$/],
        ['/sla', /^\/sla\/[0-9a-f]{24}/],
      ] as const) {
        const res = await page.goto(`${tp.url}${list}`);
        if (!res || res.status() >= 400) continue;
        found.push(...(await linksOn(page, pattern)).slice(0, 2));
      }
      return found;
    },
  };

  it('keeps ticket numbers on one line, even in a narrow window', async () => {
    const { context, page } = await signIn('teamLead');
    await page.setViewportSize({ width: 380, height: 800 });
    for (const path of ['/tickets', `/tickets/${ticketNumber}`, '/queues']) {
      await page.goto(`${tp.url}${path}`);
      const numbers = await page
        .locator('main code')
        .evaluateAll((els) =>
          els
            .filter((el) => /^[A-Z0-9]+-\d{6}$/.test(el.textContent ?? ''))
            .map((el) => ({ text: el.textContent, lines: el.getClientRects().length })),
        );
      if (path !== '/queues') expect(numbers.length, path).to.be.greaterThan(0);
      for (const n of numbers) expect(n.lines, `${path}: ${n.text}`).to.equal(1);
    }
    await context.close();
  });

  const roles: Array<{ user: UserKey; client: boolean }> = [
    { user: 'acmeUser', client: true },
    { user: 'acmeAdmin', client: true },
    { user: 'operatorAcme', client: false },
    { user: 'teamLead', client: false },
    { user: 'accountManager', client: false },
    { user: 'admin', client: false },
  ];

  for (const { user, client } of roles) {
    it(`has no serious or critical violation on the pages of ${user}`, async () => {
      const { context, page } = await signIn(user);
      const problems: string[] = [];
      const menu = await page
        .locator('nav.nav a')
        .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
      const paths = new Set<string>(['/', ...menu, '/tickets', `/tickets/${ticketNumber}`]);
      if (client)
        for (const p of [
          '/tickets/new',
          '/tickets/import',
          '/tickets/new/invoice',
          '/tickets/new/complaint',
          '/tickets/new/data_entry',
        ])
          paths.add(p);
      else if (user !== 'admin' && user !== 'accountManager') paths.add(`/tickets/${ticketNumber}/edit`);
      for (const p of await extras.details!(page)) paths.add(p);
      for (const path of paths) await check(page, path, problems);
      if (client) {
        // A refused form: field errors and kept values must be as readable as the blank form.
        await page.goto(`${tp.url}/tickets/new/invoice`);
        await page.setInputFiles('#f-attachments', {
          name: 'fattura.pdf',
          mimeType: 'application/pdf',
          buffer: Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n'),
        });
        await page.click('form[action="/tickets/new/invoice"] button[type=submit]');
        await page.waitForSelector('.has-error');
        // The file came back attached, as a chip with its remove box.
        expect(await page.textContent('[data-testid=pending-uploads]')).to.include('fattura.pdf');
        for (const v of await seriousViolations(page))
          problems.push(
            `refused invoice form [${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).join('\n    ')}`,
          );
      }
      await context.close();
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(paths.size).to.be.greaterThan(3);
    });
  }
});
