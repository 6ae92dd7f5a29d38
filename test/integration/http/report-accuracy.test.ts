import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { AccuracyBreach } from '../../../models/accuracy-breach.js';
import { InspectionLot } from '../../../models/quality.js';
import type { UserDoc } from '../../../models/user.js';
import { systemCtx } from '../../../server/domain/context.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { closeLot } from '../../../server/domain/quality/close-lot.js';
import { finishBatch } from '../../../server/domain/quality/finish-batch.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import { recordInspection } from '../../../server/domain/quality/record-inspection.js';
import { recordAccuracyBreach } from '../../../server/domain/quality/record-accuracy-breach.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { operatorView } from '../../../server/domain/reports/operator-view.js';
import { slaReport } from '../../../server/domain/reports/sla-report.js';
import { clientStatement } from '../../../server/domain/reports/statement.js';
import { queueWeeklyDigests } from '../../../server/domain/reports/weekly-digest.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { t } from '../../../server/i18n/i18n.js';
import { bodies } from '../../support/api.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { recipientOf, tableRows } from '../../support/pages.js';
import { readPdf } from '../../support/pdf-text.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/**
 * Issue #18 item 5: field accuracy as an SLA in every report: the client report (page, CSV,
 * PDF), the statement, the weekly digest and the operators view, from lots keyed, inspected,
 * rejected and reworked through the domain; breaches recorded once; each client sees its own.
 */
describe('field accuracy in the reports', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let keyer2: UserDoc;
  /** Local dates around today: the lots are closed now. */
  const today = DateTime.now().setZone('Europe/Rome');
  const range = {
    from: today.minus({ days: 1 }).toISODate() as string,
    to: today.plus({ days: 2 }).toISODate() as string,
  };
  const query = `from=${range.from}&to=${range.to}`;
  const month = today.toFormat('yyyy-MM');
  const fields = [
    { key: 'supplier_vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
    { key: 'amount', label: 'Amount', type: 'number', decimals: 2, min: 0, required: true },
    { key: 'note', label: 'Note', type: 'text', maxLength: 20, class: 'minor' },
  ];
  const record = (i: number) => ({ supplier_vat: 'IT01234567897', amount: `${i}.50`, note: `row ${i}` });
  /** Acme's lots: round 1 sample, all VAT wrong (rejected), then round 2 all right (accepted). */
  const acmeLots: { round1: number; round2: number; lotSize: number } = { round1: 0, round2: 0, lotSize: 20 };
  let nordSample = 0;
  /** The headings of the figures in the accuracy CSVs (English). */
  const figureHeadings = [
    'Target',
    'Fields checked',
    'Correct',
    'Accuracy',
    'Lower bound (95 %)',
    'Upper bound (95 %)',
    'Verdict',
  ];

  async function keyedBatch(tenant: 'acme' | 'nord', layoutId: string, keyer: UserDoc, count: number) {
    const requester = tenant === 'acme' ? world.users.acmeUser : world.users.nordUser;
    const ticket = await createTicket(
      ctxOf(requester, world[tenant]),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    const op = ctxOf(keyer, null);
    await startBatch(op, ticket.number, layoutId);
    for (let i = 1; i <= count; i++) await keyRecord(op, ticket.number, { values: record(i) });
    return ticket;
  }

  before(async () => {
    tp = await startTestPortal('report-accuracy');
    world = await makeWorld();
    keyer2 = await makeUser({ role: 'operator', tenantIds: [world.acme.id], name: 'Second Keyer' });
    const lead = ctxOf(world.users.teamLead, null);
    const acmeLayout = await saveLayout(lead, world.acme.id as string, {
      name: 'Delivery notes',
      aql: { critical: 0.65, major: 1.0, minor: 2.5 },
      accuracyTarget: 0.995,
      fields,
    });
    const ticket = await keyedBatch('acme', String(acmeLayout._id), world.users.operatorAcme, 20);
    const lot1 = await finishBatch(ctxOf(world.users.operatorAcme, null), ticket.number);
    for (const seq of lot1.seqs)
      await recordInspection(lead, ticket.number, { seq, wrongFields: ['supplier_vat'] });
    expect((await closeLot(lead, ticket.number)).verdict).to.equal('rejected');
    for (const seq of lot1.seqs)
      await keyRecord(ctxOf(keyer2, null), ticket.number, { seq, values: record(seq) });
    const lot2 = await finishBatch(ctxOf(keyer2, null), ticket.number);
    for (const seq of lot2.seqs) await recordInspection(lead, ticket.number, { seq, wrongFields: [] });
    expect((await closeLot(lead, ticket.number)).verdict).to.equal('accepted');
    acmeLots.round1 = lot1.seqs.length;
    acmeLots.round2 = lot2.seqs.length;

    const nordLayout = await saveLayout(lead, world.nord.id as string, {
      name: 'Manifests',
      aql: { critical: 0.65, major: 1.0, minor: 2.5 },
      accuracyTarget: 0.7,
      fields,
    });
    const nordTicket = await keyedBatch('nord', String(nordLayout._id), world.users.operatorBoth, 12);
    const nordLot = await finishBatch(ctxOf(world.users.operatorBoth, null), nordTicket.number);
    for (const seq of nordLot.seqs) await recordInspection(lead, nordTicket.number, { seq, wrongFields: [] });
    expect((await closeLot(lead, nordTicket.number)).verdict).to.equal('accepted');
    nordSample = nordLot.seqs.length;
  });
  after(async () => {
    await tp?.stop();
  });

  it('reports accuracy per layout and field with the Wilson interval, its sample and verdict', async () => {
    const report = await slaReport(ctxOf(world.users.admin, null), world.acme.id as string, range);
    const [layout, ...others] = report.accuracy.layouts;
    expect(others).to.deep.equal([]);
    const sampled = acmeLots.round1 + acmeLots.round2;
    expect(layout).to.include({
      name: 'Delivery notes',
      target: 0.995,
      records: sampled,
      inspected: sampled * 3,
      correct: sampled * 3 - acmeLots.round1,
      verdict: 'breach',
    });
    expect(layout!.interval.upper).to.be.below(0.995);
    const vat = layout!.fields.find((f) => f.field === 'supplier_vat');
    expect(vat).to.include({ inspected: sampled, correct: acmeLots.round2, verdict: 'breach' });
    // Keyers: round 1's records were keyed by the first operator, round 2's sample by whoever last keyed each.
    const first = layout!.keyers.find((k) => k.keyer.id === String(world.users.operatorAcme._id));
    expect(first?.inspected).to.be.at.least(acmeLots.round1 * 3);
    expect(report.accuracy.records).to.deep.include({
      inspected: sampled,
      accepted: acmeLots.lotSize,
      reworked: acmeLots.lotSize,
    });
  });

  it('records the breach once per month and layout, however often it is seen again', async () => {
    const breaches = await AccuracyBreach.find({ tenantId: world.acme._id }).lean();
    expect(breaches.map((b) => [b.layoutName, b.period])).to.deep.equal([['Delivery notes', month]]);
    const lot = await InspectionLot.findOne({ tenantId: world.acme._id }).lean();
    const again = await Promise.all([
      recordAccuracyBreach(world.acme._id, lot!.layoutId, new Date()),
      recordAccuracyBreach(world.acme._id, lot!.layoutId, new Date()),
    ]);
    expect(again).to.deep.equal([false, false]);
    expect(await AccuracyBreach.countDocuments({ tenantId: world.acme._id })).to.equal(1);
    // Nordhavn's layout met its target: no breach.
    expect(await AccuracyBreach.countDocuments({ tenantId: world.nord._id })).to.equal(0);
  });

  it('shows it on the report page, in the accuracy CSV and in the PDF', async () => {
    const agent = await signedInAgent(tp.url, world.users.accountManager.email);
    const page = await agent.get(`/reports/${world.acme.id}?${query}`).expect(200);
    const rows = tableRows(page.text, 'accuracy');
    expect(rows[0]?.[0]).to.equal('99.50 %');
    expect(rows[0]?.[4]).to.equal('Breached');
    expect(page.text).to.include('Supplier VAT');
    expect(page.text).to.match(/Delivery notes, \d{4}-\d{2}: upper bound [\d.]+ % below the target 99.50 %/);
    expect(page.text).not.to.include(world.users.operatorAcme.name);
    const csv = await agent.get(`/reports/${world.acme.id}/export/accuracy.csv?${query}`).expect(200);
    const table = parse(csv.text.replace(/^\uFEFF/, ''), { delimiter: ',' }) as string[][];
    expect(table[0]).to.deep.equal(['Row', 'Layout', 'Name', ...figureHeadings]);
    const sampled = acmeLots.round1 + acmeLots.round2;
    expect(table[1]?.slice(0, 6)).to.deep.equal([
      'layout',
      'Delivery notes',
      'all fields',
      '0.995',
      String(sampled * 3),
      String(sampled * 3 - acmeLots.round1),
    ]);
    expect(table[1]?.[9]).to.equal('Breached');
    expect(table.map((r) => r[2])).to.include.members(['Supplier VAT', 'Amount', 'Note']);
    const res = await agent
      .get(`/reports/${world.acme.id}/export/report.pdf?${query}`)
      .buffer(true)
      .parse((raw, done) => {
        const chunks: Buffer[] = [];
        raw.on('data', (c: Buffer) => chunks.push(c));
        raw.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const text = (await readPdf(res.body as Buffer)).text.replace(/\s+/g, ' ');
    // Acme reads Italian.
    expect(text).to.include('Accuratezza dei campi');
    expect(text).to.include('99,50 %');
    expect(text).to.include('Violato');
  });

  it('puts records keyed, inspected, accepted and reworked and the accuracy in the statement', async () => {
    const statement = await clientStatement(ctxOf(world.users.admin, null), world.acme.id as string, {
      month,
    });
    const sampled = acmeLots.round1 + acmeLots.round2;
    expect(statement.accuracy.records).to.deep.equal({
      keyed: 20,
      inspected: sampled,
      accepted: 20,
      reworked: 20,
    });
    const agent = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    const page = await agent.get(`/reports/${world.acme.id}/statement?month=${month}`).expect(200);
    expect(tableRows(page.text, 'quality-records')).to.deep.equal([['20', String(sampled), '20', '20']]);
    expect(tableRows(page.text, 'accuracy')[0]?.[4]).to.be.a('string').and.not.equal('–');
    const counts = await agent
      .get(`/reports/${world.acme.id}/statement/export/quality.csv?month=${month}`)
      .expect(200);
    const rows = parse(counts.text.replace(/^\uFEFF/, ''), { delimiter: ';' }) as string[][];
    expect(rows[1]).to.deep.equal(['20', String(sampled), '20', '20']);
    const acc = await agent
      .get(`/reports/${world.acme.id}/statement/export/accuracy.csv?month=${month}`)
      .expect(200);
    expect(acc.text).to.include('Delivery notes');
    expect(acc.text).not.to.include('Manifests');
  });

  it('keeps each client to its own figures', async () => {
    const acmeAdmin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    const own = await acmeAdmin.get(`/reports/${world.acme.id}?${query}`).expect(200);
    expect(own.text).not.to.include('Manifests');
    await acmeAdmin.get(`/reports/${world.nord.id}?${query}`).expect(404);
    await acmeAdmin.get(`/reports/${world.nord.id}/export/accuracy.csv?${query}`).expect(404);
    await acmeAdmin.get(`/reports/${world.nord.id}/statement/export/accuracy.csv?month=${month}`).expect(404);
    const nord = await slaReport(ctxOf(world.users.admin, null), world.nord.id as string, range);
    expect(nord.accuracy.layouts.map((l) => [l.name, l.inspected, l.verdict])).to.deep.equal([
      ['Manifests', nordSample * 3, 'met'],
    ]);
    // A team lead serving only Acme sees no Nordhavn keyer line.
    const acmeLead = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id] });
    const view = await operatorView(ctxOf(acmeLead, null), 'Europe/Rome', range);
    expect(view.keyers.map((k) => k.layoutName)).to.not.include('Manifests');
    expect(view.keyers.length).to.be.greaterThan(0);
  });

  it('shows per keyer accuracy on the operators view for team leads', async () => {
    const agent = await signedInAgent(tp.url, world.users.teamLead.email);
    const page = await agent.get(`/reports/operators?${query}`).expect(200);
    const rows = tableRows(page.text, 'keyer-accuracy');
    const clients = rows.map((r) => r[0]);
    expect(clients).to.include.members([world.acme.legalName, world.nord.legalName]);
    expect(page.text).to.include(world.users.operatorAcme.name);
    expect(page.text).to.include('Second Keyer');
    const nordRow = rows.find((r) => r[1] === 'Manifests');
    expect(nordRow?.[6]).to.equal('Met');
  });

  it('exports the per keyer accuracy of the page in the operators CSV, headings translated', async () => {
    const lead = ctxOf(world.users.teamLead, null);
    const view = await operatorView(lead, 'Europe/Rome', range);
    const agent = await signedInAgent(tp.url, world.users.teamLead.email);
    const csv = await agent.get(`/reports/operators/export.csv?${query}`).buffer(true).expect(200);
    const rows = parse(csv.text, { delimiter: ',', bom: true, relax_column_count: true }) as string[][];
    const gap = rows.findIndex((r) => r.length === 1 && r[0] === '');
    expect(gap).to.be.greaterThan(0);
    expect(rows[gap + 1]).to.deep.equal(['Keyer', 'Client', 'Layout', ...figureHeadings]);
    const keyerLines = rows.slice(gap + 2);
    expect(keyerLines).to.have.length(view.keyers.length);
    const round4 = (x: number) => String(Math.round(x * 10_000) / 10_000);
    // The same figures as the page's, from keyer-accuracy.ts: fields checked, accuracy and its interval.
    for (const k of view.keyers) {
      const line = keyerLines.find((r) => r[0] === k.keyer.name && r[2] === k.layoutName);
      expect(line, `${k.keyer.name} ${k.layoutName}`).to.deep.equal([
        k.keyer.name,
        k.tenant.legalName,
        k.layoutName,
        k.target === null ? '' : round4(k.target),
        String(k.inspected),
        String(k.correct),
        round4(k.interval.estimate),
        round4(k.interval.lower),
        round4(k.interval.upper),
        t('en', `accuracy.verdicts.${k.verdict ?? 'none'}`),
      ]);
    }
    expect(keyerLines.map((r) => r[0])).to.include.members([world.users.operatorAcme.name, 'Second Keyer']);
    // In Danish: the reader's separator and headings.
    const danish = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id], locale: 'da' });
    const da = await (
      await signedInAgent(tp.url, danish.email)
    )
      .get(`/reports/operators/export.csv?${query}`)
      .buffer(true)
      .expect(200);
    const daRows = parse(da.text, { delimiter: ';', bom: true, relax_column_count: true }) as string[][];
    const daGap = daRows.findIndex((r) => r.length === 1 && r[0] === '');
    expect(daRows[daGap + 1]?.slice(0, 4)).to.deep.equal([
      t('da', 'accuracy.keyer'),
      t('da', 'accuracy.client'),
      t('da', 'accuracy.layout'),
      t('da', 'accuracy.csv.target'),
    ]);
    expect(daRows.slice(daGap + 2).map((r) => r[1])).to.not.include(world.nord.legalName);
  });

  it('adds each inspected layout’s accuracy to the weekly digest', async () => {
    // The Monday after this week: its digest covers the days the lots were closed in.
    const monday = DateTime.now().setZone('Europe/Rome').startOf('week').plus({ weeks: 1, hours: 10 });
    await queueWeeklyDigests(systemCtx(pino({ level: 'silent' }), 'test'), monday.toJSDate());
    const week = `${today.weekYear}-W${String(today.weekNumber).padStart(2, '0')}`;
    const mail = await tp.smtp.waitFor(
      (m) => recipientOf(m).includes(world.users.accountManager.email) && (m.subject ?? '').includes(week),
    );
    expect(mail.text).to.match(
      /Field accuracy, Delivery notes: [\d.]+ % \([\d.]+ % – [\d.]+ %, \d+ fields checked\), target 99.50 %: Breached/,
    );
    expect(mail.text).to.match(
      /Field accuracy, Manifests: 100.00 % \([\d.]+ % – 100.00 %, \d+ fields checked\), target 70.00 %: Met/,
    );
  });
});
