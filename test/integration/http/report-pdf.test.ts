import { expect } from 'chai';
import supertest from 'supertest';
import { slaReport } from '../../../server/domain/reports/sla-report.js';
import { formatDateTime, formatNumber } from '../../../server/i18n/format.js';
import { t } from '../../../server/i18n/i18n.js';
import { signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { decodeHtml, textOf } from '../../support/pages.js';
import { readPdf } from '../../support/pdf-text.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import {
  FIXTURE_OPERATOR,
  insertReportFixture,
  REPORT_PERIOD,
  REPORT_QUERY,
  romeAt,
} from '../../support/report-fixture.js';
import { ctxOf } from '../../support/tickets.js';

/** supertest gives a binary body only when asked to collect it. */
const binary = (res: unknown, done: (err: Error | null, body: Buffer) => void): void => {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('SLA report as PDF', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let acmeId: string;
  let nordId: string;
  let manager: Agent;
  const pdfPath = (tenantId: string, query = REPORT_QUERY) =>
    `/reports/${tenantId}/export/report.pdf?${query}`;

  before(async () => {
    tp = await startTestPortal('report-pdf');
    world = await makeWorld();
    acmeId = String(world.acme._id);
    nordId = String(world.nord._id);
    await insertReportFixture(world.acme, [world.nord]);
    manager = await signedInAgent(tp.url, world.users.accountManager.email);
  });
  after(() => tp?.stop());

  it("renders the report in the client's language and time zone, with the report's figures", async () => {
    // The manager reads English; Acme's PDF is Italian, as Acme reads it.
    const res = await manager.get(pdfPath(acmeId)).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).to.equal('application/pdf');
    expect(res.headers['content-disposition']).to.equal(
      `attachment; filename="sla-${world.acme.code}-2025-03-03_2025-03-17.pdf"`,
    );
    const body = res.body as Buffer;
    expect(body.subarray(0, 5).toString()).to.equal('%PDF-');
    const pdf = await readPdf(body);
    const it = (key: string, params?: Record<string, unknown>) => t('it', key, params);
    // Table heads are upper case by CSS, and so is their text in the PDF.
    const text = pdf.text.toLowerCase();
    const has = (s: string) => expect(text).to.include(s.toLowerCase());
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const title = it('reports.report_title', { client: world.acme.legalName });
    expect(pdf.title).to.equal(title);
    expect(pdf.text).to.include(title);
    expect(pdf.text).to.include(
      it('reports.period_text', { from: '2025-03-03', to: '2025-03-17', zone: 'Europe/Rome' }),
    );
    expect(pdf.text).to.include(it('reports.pdf.page', { page: 1, pages: pdf.pages }));

    // Hand-computed (see the fixture): 3/4, 2/4, 5/8 = 62,5 % in Italian; off target.
    has(`${it('reports.csv.all')} 75 % (3/4) 50 % (2/4) ${it('reports.lights.red')} 62,5 %`);
    const code = world.acme.code.toUpperCase();
    // Breaches, worst first, due times in Rome time written the Italian way.
    const a3 = pdf.text.indexOf(`${code}-A3`);
    const a4 = pdf.text.indexOf(`${code}-A4`);
    const a2 = pdf.text.indexOf(`${code}-A2`);
    expect(a3).to.be.greaterThan(-1);
    expect(a3).to.be.lessThan(a4);
    expect(a4).to.be.lessThan(a2);
    expect(pdf.text.slice(a3, a4))
      .to.include(formatDateTime(romeAt(6, 16), 'it', 'Europe/Rome'))
      .and.include('10 gg 8 h')
      .and.include(it('reports.not_met'));
    expect(pdf.text.slice(a4, a2))
      .to.include(formatDateTime(romeAt(11, 19), 'it', 'Europe/Rome'))
      .and.include('2 h 00 min');
    has(it('reports.totals', { opened: 4, resolved: 3, backlog: 1 }));
    // Medians: first response 2400 s, resolution 21600 s; p90: 3000 + 0.7 x 4200 = 5940 s, 21600 + 0.8 x 14400 = 33120 s.
    has(`${it('reports.targets.firstResponse')} 4 40 min 1 h 39 min`);
    has(`${it('reports.targets.resolution')} 3 6 h 00 min 9 h 12 min`);
    expect(text).to.match(new RegExp(`${esc(it('reports.buckets.gt_7d').toLowerCase())} 1\\b`));

    // And the same figures as the report the domain computes, row by row.
    const report = await slaReport(ctxOf(world.users.accountManager, null), acmeId, REPORT_PERIOD);
    for (const row of report.compliance) {
      const pct = (x: { pct: number | null; met: number; measured: number }) =>
        `${x.pct === null ? '–' : `${formatNumber(x.pct, 'it')} %`} (${x.met}/${x.measured})`;
      has(`${pct(row.firstResponse)} ${pct(row.resolution)}`);
    }
    for (const b of report.breaches) has(`${b.number} ${it(`reports.targets.${b.target}`)}`);
    for (const v of report.volumes.filter((x) => x.dimension === 'channel'))
      has(`${t('it', `channels.${v.key}`)} ${v.opened} ${v.resolved} ${v.backlog}`);

    // Charts are drawn into it; the page's controls and the operator are not in it.
    expect(pdf.images).to.be.greaterThan(0);
    expect(pdf.text).to.not.include(it('reports.show'));
    expect(pdf.text).to.not.include('CSV');
    expect(pdf.text).to.not.include(FIXTURE_OPERATOR);
  });

  it("is linked from the report page, and gives Nordhavn's PDF in Danish", async () => {
    const page = await manager.get(`/reports/${acmeId}?${REPORT_QUERY}`).expect(200);
    expect(decodeHtml(page.text)).to.include(
      `href="/reports/${acmeId}/export/report.pdf?from=2025-03-03&to=2025-03-17"`,
    );
    const res = await manager
      .get(`/reports/${nordId}/export/report.pdf`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    const pdf = await readPdf(res.body as Buffer);
    expect(pdf.text).to.include(t('da', 'reports.report_title', { client: world.nord.legalName }));
    expect(pdf.text).to.include(t('da', 'reports.sections.breaches'));
    // Nordhavn has no tickets: none of Acme's appear in it.
    expect(pdf.text).to.not.include(world.acme.code.toUpperCase());
    expect(res.headers['content-disposition']).to.match(
      new RegExp(`filename="sla-${world.nord.code}-\\d{4}-\\d{2}\\.pdf"`),
    );
  });

  it('keeps to the report rules: own client only, foreign 404, no reports permission 403', async () => {
    const acmeAdmin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    await acmeAdmin.get(pdfPath(acmeId)).buffer(true).parse(binary).expect(200);
    const nordAdmin = await signedInAgent(tp.url, world.users.nordAdmin.email);
    const foreign = await nordAdmin.get(pdfPath(acmeId)).expect(404);
    expect(foreign.headers['content-type']).to.not.include('pdf');
    expect(textOf(foreign.text)).to.not.include(world.acme.legalName);
    const nordOnly = await signedInAgent(
      tp.url,
      (await makeUser({ role: 'account_manager', tenantIds: [world.nord._id] })).email,
    );
    await nordOnly.get(pdfPath(acmeId)).expect(404);
    await nordOnly.get('/reports/not-an-id/export/report.pdf').expect(404);
    await (await signedInAgent(tp.url, world.users.operatorAcme.email)).get(pdfPath(acmeId)).expect(403);
    await (await signedInAgent(tp.url, world.users.acmeUser.email)).get(pdfPath(acmeId)).expect(403);
    const anonymous = await supertest(tp.url).get(pdfPath(acmeId)).expect(302);
    expect(anonymous.headers.location).to.match(/^\/login/);
  });

  it('refuses a bad period before starting any rendering', async () => {
    await manager.get(pdfPath(acmeId, 'from=2025-03-17&to=2025-03-03')).expect(422);
  });
});

describe('SLA report as PDF without a browser', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('report-pdf-none', { CHROMIUM_PATH: '/nonexistent/chromium' });
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('answers 503 with a translated message, and the report page still works', async () => {
    const italian = await signedInAgent(
      tp.url,
      (await makeUser({ role: 'account_manager', tenantIds: [world.acme._id], locale: 'it' })).email,
    );
    const path = `/reports/${String(world.acme._id)}/export/report.pdf?${REPORT_QUERY}`;
    const page = await italian.get(path).expect(503);
    expect(page.headers['retry-after']).to.equal('60');
    expect(textOf(page.text)).to.include(t('it', 'pdf.unavailable'));
    const json = await italian.get(path).set('Accept', 'application/json').expect(503);
    expect(json.body).to.deep.equal({ error: { code: 'unavailable', message: t('it', 'pdf.unavailable') } });
    await italian.get(`/reports/${String(world.acme._id)}?${REPORT_QUERY}`).expect(200);
  });
});
