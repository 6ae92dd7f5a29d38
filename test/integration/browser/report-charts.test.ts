import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { t } from '../../../server/i18n/i18n.js';
import { launchBrowser } from '../../support/browser.js';
import { makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { insertReportFixture, REPORT_QUERY } from '../../support/report-fixture.js';

/** Coloured pixels a chart's canvas holds: zero for a canvas nothing was drawn on. */
const inkOf = (page: Page, chart: string): Promise<number> =>
  page.$eval(`figure[data-chart="${chart}"] canvas`, (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const pixels = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
    let ink = 0;
    for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) ink++;
    return ink;
  });

describe('report charts in a browser', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];

  before(async () => {
    tp = await startTestPortal('browser-report-charts');
    world = await makeWorld();
    await insertReportFixture(world.acme, [world.nord]);
    browser = await launchBrowser();
    context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${tp.url}/login`);
    await page.fill('input[name=email]', world.users.accountManager.email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    // Signed in once the home page is there (closing mid-navigation could lose the session cookie).
    await page.waitForURL((url) => url.pathname === '/');
    await page.close();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  /** A page that records script errors and CSP refusals (both reach the console). */
  const open = async (path: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    await page.goto(`${tp.url}${path}`);
    await page.waitForSelector('html[data-charts-ready]', { state: 'attached' });
    return page;
  };

  it('draws the charts beside the tables of a report, within the CSP', async () => {
    const page = await open(`/reports/${String(world.acme._id)}?${REPORT_QUERY}`);
    for (const chart of ['compliance', 'volumes-type', 'ageing', 'trend', 'opened']) {
      expect(await page.isVisible(`figure[data-chart="${chart}"] canvas`), chart).to.equal(true);
      expect(await inkOf(page, chart), chart).to.be.greaterThan(500);
    }
    expect(await page.textContent(`figure[data-chart="compliance"] figcaption`)).to.equal(
      t('en', 'reports.charts.compliance'),
    );
    // The table is still the report.
    expect(await page.textContent('[data-testid=compliance] tr[data-key="overall:all"]'))
      .to.include('75 %')
      .and.include('62.5 %');
    expect(await page.getAttribute('[data-testid=pdf-link]', 'href')).to.match(
      /\/export\/report\.pdf\?from=2025-03-03&to=2025-03-17$/,
    );
    await page.close();

    const portfolio = await open('/reports');
    expect(await inkOf(portfolio, 'portfolio')).to.be.greaterThan(500);
    await portfolio.close();
    expect(problems).to.deep.equal([]);
  });

  it('shows the tables and no empty chart boxes without JavaScript', async () => {
    const bare = await browser.newContext({
      javaScriptEnabled: false,
      storageState: await context.storageState(),
    });
    const page = await bare.newPage();
    await page.goto(`${tp.url}/reports/${String(world.acme._id)}?${REPORT_QUERY}`);
    expect(await page.isVisible('[data-testid=breaches]')).to.equal(true);
    expect(await page.locator('figure[data-chart]').count()).to.be.greaterThan(4);
    expect(await page.locator('figure[data-chart]:visible').count()).to.equal(0);
    await bare.close();
  });
});
