import { expect } from 'chai';
import { requestPrivacyAction } from '../../../server/domain/privacy/request-privacy-action.js';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { CsatRating } from '../../../models/csat-rating.js';
import { Macro } from '../../../models/macro.js';
import { Queue } from '../../../models/queue.js';
import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy } from '../../../models/sla-policy.js';
import { priorities, ticketTypes } from '../../../models/ticket.js';
import { resetCaches } from '../../../server/domain/caches.js';
import { signSurveyLink } from '../../../server/domain/csat/link-token.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { launchBrowser } from '../../support/browser.js';
import { makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeDraftImportBatch } from '../../support/csv-import.js';
import { listRoutes } from '../../support/routes.js';
import { complaintInput, ctxOf, makeAttachment } from '../../support/tickets.js';
import { Types } from 'mongoose';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';

type UserKey = keyof World['users'];

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
const SMALLEST = { width: 360, height: 740 };
/** Just above the one-column breakpoint: two columns, tables still scrolling in their box. */
const TABLET = { width: 820, height: 1180 };
const SIZES = [PHONE, SMALLEST, TABLET, DESKTOP];

/** A word that does not break by itself: a pasted link, the kind that widens a timeline. */
const LONG_WORD = `https://supplier.example/portal/invoices/${'0123456789'.repeat(12)}?download=true`;

/**
 * Every page of every role, at a phone's size and a desktop's (and the narrowest supported,
 * 360 px, and a tablet just above the one-column breakpoint): the page never scrolls sideways
 * (tables scroll inside their own box, rows become cards) and its main action is visible, inside the window and clickable (Playwright's
 * actionability checks: visible, stable, enabled, not covered). The pages come from the
 * route table, so a new page is checked here too or fails for want of a parameter.
 */
describe('responsive pages from 360 px to a wide desktop (every role, every page)', function () {
  this.timeout(300_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  const numbers: Record<string, string> = {};
  let queueId: string;
  let macroId: string;
  let layoutId: string;
  const importBatches: string[] = [];
  let endpointId: string;
  let privacyRequestId: string;
  let csatToken: string;

  before(async () => {
    tp = await startTestPortal('browser-responsive');
    world = await makeWorld();
    // A contract, so rows and ticket pages show business time left (always open: any day, any hour).
    const calendar = await SlaCalendar.create({
      tenantId: world.acme._id,
      name: 'Always',
      timeZone: 'Europe/Rome',
      alwaysOpen: true,
      weekly: [],
      holidays: [],
      closures: [],
    });
    await SlaPolicy.create({
      tenantId: world.acme._id,
      version: 1,
      calendarId: calendar._id,
      targets: ticketTypes.flatMap((type) =>
        priorities.map((priority) => ({
          type,
          priority,
          firstResponseMinutes: 480,
          resolutionMinutes: 2400,
        })),
      ),
      warnAt: [75],
      escalation: { raisePriority: false, notifyClient: false },
      createdBy: { id: null, name: 'test' },
    });
    resetCaches();
    const client = ctxOf(world.users.acmeUser, world.acme);
    const operator = ctxOf(world.users.operatorAcme, world.acme);
    const inputs = {
      complaint: complaintInput(`Parcel never arrived ${LONG_WORD}`),
      invoice: ticketInputSchema.parse({
        type: 'invoice',
        subject: 'Fattura Rossi Trasporti 2026/118 — verifica importi e scadenze del fornitore',
        description: `Vedi ${LONG_WORD}`,
        priority: 'high',
        fields: {
          supplierName: 'Rossi Trasporti S.r.l.',
          supplierVat: 'IT01234567897',
          invoiceNumber: '2026/118',
          issueDate: '2026-03-01',
          dueDate: '2026-03-31',
          amount: 1250.4,
          currency: 'EUR',
        },
      }),
      data_entry: ticketInputSchema.parse({
        type: 'data_entry',
        subject: 'Ordini di ritiro settimana 49',
        description: 'Inserire gli ordini.',
        fields: { batchDescription: 'Ordini di ritiro', targetSystem: 'SAP', expectedRecordCount: 120 },
      }),
    };
    for (const type of ticketTypes) {
      const ticket = await createTicket(client, inputs[type], 'portal');
      numbers[type] = ticket.number;
      // A long timeline: replies both ways, a note, long words and long lines, a file.
      for (let i = 0; i < 8; i++) {
        const body = `Reply ${i + 1}: ${'the quick brown fox jumps over the lazy dog '.repeat(6)}${LONG_WORD}`;
        await addReply(i % 2 ? client : operator, ticket.number, { body, internal: i === 4 });
      }
      await makeAttachment(world.users.acmeUser, world.acme, ticket);
      if (type === 'complaint') {
        // A rated survey of this resolution: its pages are reached from the resolved mail, signed out.
        const expiresAt = new Date(Date.now() + 86_400_000);
        await CsatRating.create({
          tenantId: world.acme._id,
          ticketId: ticket._id,
          number: ticket.number,
          resolution: 1,
          resolvedAt: new Date(),
          expiresAt,
          type,
          priority: ticket.priority,
          score: 4,
        });
        csatToken = signSurveyLink({
          tenantId: String(world.acme._id),
          ticketId: String(ticket._id),
          resolution: 1,
          locale: 'it',
          expiresAt,
        });
      }
    }
    for (let i = 0; i < 4; i++)
      await createTicket(client, complaintInput(`Another parcel late, number ${i + 1}`), 'portal');
    // A CSV import waiting for its confirmation, one per client role (each sees only their own).
    for (const user of [world.users.acmeUser, world.users.acmeAdmin])
      importBatches.push(await makeDraftImportBatch(world.acme.id, user.id));
    queueId = String((await Queue.create({ name: 'Everything', key: 'responsive-all' }))._id);
    const greeting = {
      en: 'Hello {{requester.name}}',
      it: 'Ciao {{requester.name}}',
      da: 'Hej {{requester.name}}',
    };
    macroId = String((await Macro.create({ tenantId: null, name: 'Greeting', body: greeting }))._id);
    // A webhook endpoint and an attempt whose answer is one long line.
    endpointId = (
      await registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
        // A long unbroken path: the audit page and the endpoint pages quote it and must not overflow.
        url: `https://erp.acme.example/webhooks/${'0123456789'.repeat(8)}`,
        description: 'ERP',
        events: ['ticket.created', 'ticket.status_changed'],
        orderedPerTicket: false,
      })
    ).id;
    await WebhookAttempt.create({
      tenantId: world.acme._id,
      endpointId: new Types.ObjectId(endpointId),
      eventId: new Types.ObjectId(),
      msgId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      attempt: 1,
      at: new Date(),
      url: 'https://erp.acme.example/webhooks/backoffice-desk/tickets',
      requestHeaders: { 'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 'content-type': 'application/json' },
      status: 503,
      responseExcerpt: `{"error":"${LONG_WORD}"}`,
      latencyMs: 412,
      ok: false,
    });
    const layout = await saveLayout(ctxOf(world.users.admin, null), String(world.acme.id), {
      name: 'Delivery notes with a rather long name to test the wrapping of titles',
      aql: { critical: 0.65, major: 1, minor: 2.5 },
      fields: [
        { key: 'supplier_vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
        { key: 'doc_type', label: 'Document type', type: 'code', codes: ['INV', 'CN'] },
      ],
    });
    layoutId = String(layout._id);
    privacyRequestId = String(
      (
        await requestPrivacyAction(ctxOf(world.users.acmeAdmin, world.acme), {
          kind: 'erasure',
          email: 'a.person.with.a.rather.long.address@cliente-di-esempio.example',
          name: 'Maria Giovanna Della Valle-Santangelo',
          note: 'Asked in writing on 3 December; identity checked against the signed contract.',
        })
      )._id,
    );
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  /** The page routes of the app (GET, HTML): every one is visited, or the test says why not. */
  function pagePatterns(): string[] {
    const notPages =
      /^\/(api|static|socket\.io|attachments)\/|^\/(healthz|readyz)$|\.(csv|xlsx|pdf|json|zip)$|\/keying\/source$/;
    return listRoutes(tp.portal.server)
      .filter((r) => r.method === 'GET' && !notPages.test(r.path))
      .map((r) => r.path);
  }

  /** The URLs a pattern stands for: its parameters filled with this world's objects. */
  function urlsOf(pattern: string): string[] {
    if (!pattern.includes(':')) return [pattern];
    const fills: Record<string, string[]> = {
      '/tickets/:ref': ticketTypes.map((t) => `/tickets/${numbers[t]}`),
      '/tickets/:ref/edit': [`/tickets/${numbers.invoice}/edit`],
      '/tickets/:ref/keying': [`/tickets/${numbers.data_entry}/keying`],
      '/tickets/:ref/inspection': [`/tickets/${numbers.data_entry}/inspection`],
      '/tickets/:ref/keying/second': [`/tickets/${numbers.data_entry}/keying/second`],
      '/tickets/:ref/differences': [`/tickets/${numbers.data_entry}/differences`],
      '/tickets/import/:id': importBatches.map((id) => `/tickets/import/${id}`),
      '/tickets/new/:type': ticketTypes.map((t) => `/tickets/new/${t}`),
      '/queues/:id': [`/queues/${queueId}`],
      '/layouts/:id': [`/layouts/${layoutId}`],
      '/queues/manage/:id': [`/queues/manage/${queueId}`],
      '/macros/:id': [`/macros/${macroId}`],
      '/admin/tenants/:id': [`/admin/tenants/${world.acme.id}`],
      '/admin/staff/:id': [`/admin/staff/${world.users.operatorAcme.id}`],
      '/reports/:tenantId': [`/reports/${world.acme.id}`],
      '/reports/:tenantId/statement': [`/reports/${world.acme.id}/statement`],
      '/sla/:tenantId/calendar': [`/sla/${world.acme.id}/calendar`],
      '/sla/:tenantId/policy': [`/sla/${world.acme.id}/policy`],
      '/retention/:tenantId': [`/retention/${world.acme.id}`],
      '/retention/:tenantId/holds': [`/retention/${world.acme.id}/holds`],
      '/webhooks/:id': [`/webhooks/${endpointId}`],
      '/privacy/:id': [`/privacy/${privacyRequestId}`],
    };
    // Pages reached only from a mail (a token in the path) are shown signed out, below.
    if (/^\/(password|invite|csat)\/.*:token/.test(pattern)) return [];
    const urls = fills[pattern];
    if (!urls) throw new Error(`no values for the page ${pattern}: add them to urlsOf`);
    return urls;
  }

  /**
   * The one thing a person comes to the page to do; on a page with nothing to do but read (a
   * staff member's home), the way on: the menu's button on a phone, the first menu link wide.
   */
  async function mainActionOf(page: Page, path: string): Promise<Locator> {
    const action = mainActionIn(page, path);
    if ((await action.count()) > 0) return action;
    return page.locator('summary.menu-toggle:visible, nav.nav a:visible').first();
  }

  function mainActionIn(page: Page, path: string): Locator {
    const main = page.locator('main');
    if (/^\/tickets\/[A-Z0-9]+-\d+$/i.test(path))
      return main.locator('form.reply button[type=submit], [data-testid=take], aside .card button').first();
    if (/^\/queues\/[0-9a-f]{24}$/.test(path)) return main.locator('[data-live-queue] tbody tr a').first();
    if (path === '/queues') return main.locator('[data-live-list] tbody tr a, .queue-card').first();
    if (path === '/tickets') return main.locator('[data-testid=ticket-list] tbody tr a').first();
    return main
      .locator(
        'form[method=post] button[type=submit].primary, form[method=post] button[type=submit], a.button.primary, button.primary, a[href^="/"], a[href^="#"], button',
      )
      .first();
  }

  interface Problem {
    path: string;
    size: string;
    what: string;
  }

  async function checkAt(
    page: Page,
    path: string,
    size: { width: number; height: number },
    problems: Problem[],
  ): Promise<void> {
    await page.setViewportSize(size);
    const label = `${size.width}x${size.height}`;
    const overflow = await page.evaluate(() => {
      const d = document.documentElement;
      if (d.scrollWidth <= d.clientWidth) return null;
      // The widest culprits: elements reaching past the window that no box of theirs scrolls.
      const culprits: string[] = [];
      for (const el of Array.from(document.querySelectorAll('body *'))) {
        if (el.getBoundingClientRect().right <= d.clientWidth + 0.5) continue;
        let clipped = false;
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
          if (getComputedStyle(a).overflowX !== 'visible') clipped = true;
        if (!clipped) culprits.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
      }
      return `scrollWidth ${d.scrollWidth} > clientWidth ${d.clientWidth}: ${culprits.slice(-4).join(', ')}`;
    });
    if (overflow) problems.push({ path, size: label, what: overflow });
    // A box that scrolls sideways can be reached by keyboard (it, or something in it, takes focus).
    const unreachable = await page.evaluate(() =>
      Array.from(document.querySelectorAll('main *'))
        .filter((el) => {
          const s = getComputedStyle(el);
          return /auto|scroll/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1;
        })
        .filter(
          (el) =>
            !el.matches('[tabindex]') &&
            !el.querySelector('a[href], button, input, select, textarea, [tabindex]'),
        )
        .map((el) => `${el.tagName.toLowerCase()}[data-testid=${el.getAttribute('data-testid') ?? ''}]`),
    );
    for (const el of unreachable)
      problems.push({ path, size: label, what: `scrolls sideways but takes no focus: ${el}` });
    const action = await mainActionOf(page, path);
    if ((await action.count()) === 0) {
      problems.push({ path, size: label, what: 'no main action found' });
      return;
    }
    try {
      await action.click({ trial: true, timeout: 3_000 });
      const box = await action.boundingBox();
      if (!box || box.x < 0 || box.x + box.width > size.width + 0.5)
        problems.push({ path, size: label, what: `main action outside the window: ${JSON.stringify(box)}` });
    } catch (err) {
      problems.push({
        path,
        size: label,
        what: `main action not clickable: ${(err as Error).message.split('\n')[0]}`,
      });
    }
  }

  async function signIn(context: BrowserContext, user: UserKey): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${tp.url}/login`);
    await page.fill('input[name=email]', world.users[user].email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('button[type=submit]')]);
    return page;
  }

  const report = (problems: Problem[]): string =>
    problems.map((p) => `${p.size} ${p.path}: ${p.what}`).join('\n');

  const roles: UserKey[] = ['admin', 'teamLead', 'operatorAcme', 'accountManager', 'acmeAdmin', 'acmeUser'];
  for (const user of roles) {
    it(`fits every page of ${user} from 360 to 1440 px (390x844, 1440x900 among them), main action in reach`, async () => {
      const context = await browser.newContext({ viewport: PHONE, locale: 'en-GB' });
      const page = await signIn(context, user);
      const problems: Problem[] = [];
      const visited: string[] = [];
      for (const pattern of pagePatterns()) {
        if (pattern === '/login' || pattern.startsWith('/password')) continue; // signed-out pages, below
        for (const path of urlsOf(pattern)) {
          await page.setViewportSize(PHONE);
          const res = await page.goto(`${tp.url}${path}`);
          // Not this role's page (403), or not its tenant's (404): the access matrix covers that.
          if (!res || res.status() === 403 || res.status() === 404) continue;
          expect(res.status(), path).to.be.below(400);
          visited.push(path);
          // Live lists redraw once their socket has caught up: measure what stays.
          if (await page.locator('[data-live-queue]').count())
            await page.waitForSelector('[data-live-queue][data-live=synced]', { state: 'attached' });
          if (await page.locator('[data-live-list]').count())
            await page.waitForSelector('body[data-live-overview=synced]', { state: 'attached' });
          for (const size of SIZES) await checkAt(page, path, size, problems);
        }
      }
      await context.close();
      expect(problems, report(problems)).to.deep.equal([]);
      // Each role's own main pages were among them: home, tickets, a ticket of each type.
      expect(visited).to.include.members([
        '/',
        '/tickets',
        ...ticketTypes.map((t) => `/tickets/${numbers[t]}`),
      ]);
      if (user === 'acmeUser' || user === 'acmeAdmin')
        expect(visited).to.include.members(ticketTypes.map((t) => `/tickets/new/${t}`));
      if (user === 'operatorAcme' || user === 'teamLead') expect(visited).to.include(`/queues/${queueId}`);
      if (user === 'admin')
        expect(visited).to.include.members(['/admin/tenants', '/admin/staff', '/admin/audit']);
      if (user === 'accountManager') expect(visited).to.include.members(['/sla', '/reports']);
      if (user === 'acmeAdmin' || user === 'admin')
        expect(visited).to.include.members(['/webhooks', `/webhooks/${endpointId}`]);
    });
  }

  it('fits the signed-out pages too', async () => {
    const context = await browser.newContext({ viewport: PHONE, locale: 'en-GB' });
    const page = await context.newPage();
    const problems: Problem[] = [];
    for (const path of pagePatterns().filter((p) => p === '/login' || /^\/password\/[a-z-]+$/.test(p))) {
      const res = await page.goto(`${tp.url}${path}`);
      expect(res?.status(), path).to.equal(200);
      for (const size of SIZES) await checkAt(page, path, size, problems);
    }
    // The satisfaction survey's pages (from the resolved mail, no sign-in).
    for (const path of [`/csat/${csatToken}?score=4`, `/csat/${csatToken}/comment`]) {
      const res = await page.goto(`${tp.url}${path}`);
      expect(res?.status(), path).to.equal(200);
      for (const size of SIZES) await checkAt(page, path, size, problems);
    }
    await context.close();
    expect(problems, report(problems)).to.deep.equal([]);
  });

  it('shows queue rows as cards on a phone: state, number, client, subject, time left, all inside the card', async () => {
    const context = await browser.newContext({ viewport: PHONE, locale: 'en-GB' });
    const page = await signIn(context, 'operatorAcme');
    await page.goto(`${tp.url}/queues/${queueId}`);
    await page.waitForSelector('[data-live-queue][data-live=synced]', { state: 'attached' });
    const row = page.locator('[data-live-queue] tbody tr').first();
    const card = await row.boundingBox();
    expect(card).to.not.equal(null);
    expect(card!.width).to.be.at.most(PHONE.width);
    for (const cell of ['.cell-status', '.cell-number', '.cell-client', '.cell-subject', '.cell-due']) {
      const box = await row.locator(cell).boundingBox();
      expect(box, cell).to.not.equal(null);
      expect(box!.x, cell).to.be.at.least(card!.x);
      expect(box!.x + box!.width, cell).to.be.at.most(card!.x + card!.width + 0.5);
      expect(box!.y + box!.height, cell).to.be.at.most(card!.y + card!.height + 0.5);
    }
    expect(await row.locator('.cell-due').textContent()).to.match(/\d+ h( \d+ min)? left/);
    // The subject takes a line of its own, the width of the card.
    const subject = await row.locator('.cell-subject').boundingBox();
    expect(subject!.width).to.be.greaterThan(card!.width * 0.8);
    // The header row is for screen readers only on a phone; on a desktop the rows are a table again.
    expect(
      await page
        .locator('[data-live-queue] thead')
        .boundingBox()
        .then((b) => b?.height ?? 0),
    ).to.be.at.most(1);
    await page.setViewportSize(DESKTOP);
    expect(await row.evaluate((tr) => getComputedStyle(tr).display)).to.equal('table-row');
    await context.close();
    // A client's tickets on their home page, and the ticket list, are cards too.
    const clientContext = await browser.newContext({ viewport: PHONE, locale: 'en-GB' });
    const clientPage = await signIn(clientContext, 'acmeUser');
    for (const [path, list] of [
      ['/', '[data-testid=my-tickets]'],
      ['/tickets', '[data-testid=ticket-list]'],
    ] as const) {
      await clientPage.goto(`${tp.url}${path}`);
      const first = clientPage.locator(`${list} tbody tr`).first();
      expect(await first.evaluate((tr) => getComputedStyle(tr).display), path).to.equal('flex');
      const subject = await first.locator('.cell-subject').boundingBox();
      expect(subject!.width, path).to.be.greaterThan(PHONE.width * 0.7);
    }
    await clientContext.close();
  });

  it('gives the ticket page one column on a phone: the timeline as wide as the page', async () => {
    const context = await browser.newContext({ viewport: PHONE, locale: 'en-GB' });
    const page = await signIn(context, 'operatorAcme');
    await page.goto(`${tp.url}/tickets/${numbers.invoice}`);
    const timeline = await page.locator('[data-testid=timeline]').boundingBox();
    const main = await page.locator('main').boundingBox();
    expect(timeline!.width).to.be.greaterThan(main!.width * 0.85);
    await page.setViewportSize(DESKTOP);
    const wide = await page.locator('[data-testid=timeline]').boundingBox();
    const aside = await page.locator('.ticket-layout > aside').boundingBox();
    expect(aside!.x).to.be.greaterThan(wide!.x + wide!.width - 1);
    await context.close();
  });

  for (const javaScript of [true, false]) {
    it(`folds the header into a menu on a phone, opened by keyboard (JavaScript ${javaScript ? 'on' : 'off'})`, async () => {
      const context = await browser.newContext({
        viewport: PHONE,
        locale: 'en-GB',
        javaScriptEnabled: javaScript,
      });
      const page = await signIn(context, 'teamLead');
      await page.goto(`${tp.url}/tickets`);
      const toggle = page.locator('summary.menu-toggle');
      const queues = page.locator('nav.nav a[href="/queues"]');
      expect(await toggle.isVisible()).to.equal(true);
      expect(await queues.isVisible()).to.equal(false);
      // Keyboard: the menu's button is the first stop after the brand; Enter opens it.
      await page.locator('a.brand').focus();
      await page.keyboard.press('Tab');
      expect(await toggle.evaluate((el) => el === document.activeElement)).to.equal(true);
      await page.keyboard.press('Enter');
      expect(await page.locator('details.menu').evaluate((d) => (d as HTMLDetailsElement).open)).to.equal(
        true,
      );
      await queues.click({ trial: true });
      expect(await page.locator('[data-testid=whoami]').isVisible()).to.equal(true);
      if (javaScript) {
        // Escape folds it again and gives the focus back to its button.
        await page.keyboard.press('Tab');
        await page.keyboard.press('Escape');
        expect(await queues.isVisible()).to.equal(false);
        expect(await toggle.evaluate((el) => el === document.activeElement)).to.equal(true);
      }
      // A desktop: no menu button, the links in the bar.
      await page.setViewportSize(DESKTOP);
      await page.goto(`${tp.url}/tickets`);
      expect(await toggle.isVisible()).to.equal(false);
      expect(await queues.isVisible()).to.equal(true);
      await queues.click({ trial: true });
      // And the keyboard goes from the brand straight to the menu's first link.
      await page.locator('a.brand').focus();
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).to.equal('/');
      expect(await page.getByRole('navigation').getByRole('link', { name: 'Queues' }).count()).to.equal(1);
      await context.close();
    });
  }
});
