/**
 * Screenshots of the main pages for the README: `npx tsx scripts/screenshots.ts`.
 * Starts the portal on a throwaway embedded database with the demo data, signs in as each
 * role in Debian's chromium and writes PNGs to docs/screenshots/. `SCREENSHOTS=a,b` takes only
 * the named ones (file names without .png).
 */
import { mkdir } from 'node:fs/promises';
import { pino } from 'pino';
import { startEmbeddedEngine } from '../server/db/embedded-engine.js';
import { loadConfig } from '../server/config/config.js';
import { startPortal } from '../server/boot.js';
import { seedDemo } from '../server/seed/demo.js';
import { sweepSla } from '../server/domain/sla/sweep.js';
import { systemCtx } from '../server/domain/context.js';
import { DEMO_PASSWORD } from '../server/seed/demo-data.js';
import { fromRoot } from '../server/paths.js';
import { launchBrowser } from '../test/support/browser.js';
import { Tenant } from '../models/tenant.js';

const log = pino({ level: 'warn' });
const engine = await startEmbeddedEngine({ backend: 'memory', log, dbName: 'screens' });
const portal = await startPortal(
  loadConfig({ MONGODB_URI: engine.uri, PORT: '0', JOBS_ENABLED: 'false', LOG_LEVEL: 'warn' }),
  log,
);
await seedDemo(systemCtx(log, 'screenshots'));
// What the SLA sweep of a running portal records within seconds of the first start.
await sweepSla(systemCtx(log, 'screenshots'));
const out = fromRoot('docs', 'screenshots');
await mkdir(out, { recursive: true });
const browser = await launchBrowser();
const only = process.env.SCREENSHOTS ? new Set(process.env.SCREENSHOTS.split(',')) : null;

async function shoot(
  email: string | null,
  path: string,
  file: string,
  locale = 'en-GB',
  height = 720,
  width = 1200,
): Promise<void> {
  if (only && !only.has(file)) return;
  const context = await browser.newContext({ viewport: { width, height }, locale });
  const page = await context.newPage();
  if (email) {
    await page.goto(`${portal.url}/login`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', DEMO_PASSWORD);
    await page.click('button[type=submit]');
  }
  await page.goto(`${portal.url}${path}`);
  // Charts draw after load (report pages).
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${out}/${file}.png` });
  await context.close();
}

try {
  await shoot(null, '/login', 'login');
  await shoot('admin@desk.example', '/admin/tenants', 'admin-tenants');
  await shoot('admin@desk.example', '/admin/staff', 'admin-staff');
  await shoot('admin@desk.example', '/admin/audit', 'admin-audit');
  await shoot('admin@acme.example', '/team', 'client-team-it');
  await shoot('sara@desk.example', '/', 'operator-home');
  await shoot('marco@desk.example', '/tickets', 'staff-tickets');
  await shoot('marco@desk.example', '/queues', 'operator-queues');
  await shoot('anna@desk.example', '/sla', 'account-manager-sla');
  await shoot('marco@desk.example', '/tickets/ACME-000003', 'staff-ticket');
  await shoot('user@acme.example', '/tickets/new/invoice', 'client-new-invoice');
  await shoot('user@nordhavn.example', '/tickets/NORDHAVN-000002', 'client-ticket-da');
  // Reports: their default period, last month, over the demo history.
  const acme = await Tenant.findOne({ code: 'acme' }).lean();
  await shoot('anna@desk.example', '/reports', 'reports-portfolio');
  await shoot('anna@desk.example', `/reports/${String(acme?._id)}`, 'report-client', 'en-GB', 1400);
  await shoot('lead@desk.example', '/reports/operators', 'report-operators');
  // A phone (390x844): the queues' rows as cards, a ticket in one column.
  await shoot('marco@desk.example', '/queues', 'mobile-queues', 'en-GB', 844, 390);
  await shoot('marco@desk.example', '/tickets/ACME-000003', 'mobile-ticket', 'en-GB', 844, 390);
  await shoot('anna@desk.example', `/reports/${String(acme?._id)}/statement`, 'report-statement');
} finally {
  await browser.close();
  await portal.stop();
  await engine.stop();
}
