import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import { CsatRating } from '../../../models/csat-rating.js';
import { pino } from 'pino';
import { systemCtx } from '../../../server/domain/context.js';
import { csatReport } from '../../../server/domain/reports/csat-report.js';
import { clientStatement } from '../../../server/domain/reports/statement.js';
import { queueWeeklyDigests } from '../../../server/domain/reports/weekly-digest.js';
import { recipientOf } from '../../support/pages.js';
import { readPdf } from '../../support/pdf-text.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { tableRows } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/** CSAT per client and per operator: response rate, share satisfied and its 95 % Wilson interval. */
describe('CSAT report', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  const range = { from: '2026-03-01', to: '2026-04-01' };

  async function survey(
    tenant: 'acme' | 'nord',
    who: { _id: Types.ObjectId; name: string } | null,
    score: number | null,
    at = '2026-03-10T10:00:00Z',
  ) {
    await CsatRating.create({
      tenantId: world[tenant]._id,
      ticketId: new Types.ObjectId(),
      number: 'T-1',
      resolution: 2,
      resolvedAt: new Date(at),
      expiresAt: new Date(Date.parse(at) + 14 * 86_400_000),
      assignee: who ? { id: who._id, name: who.name } : null,
      type: 'complaint',
      priority: 'normal',
      score,
      ratedAt: score === null ? null : new Date(at),
    });
  }

  before(async () => {
    tp = await startTestPortal('report-csat');
    world = await makeWorld();
    const { operatorAcme, operatorBoth } = world.users;
    // Acme: 5 surveys, 4 answered (5, 4, 4, 2): 3 of 4 satisfied. operatorAcme holds 4 of them.
    await survey('acme', operatorAcme, 5);
    await survey('acme', operatorAcme, 4);
    await survey('acme', operatorAcme, 4);
    await survey('acme', operatorAcme, null);
    await survey('acme', null, 2);
    // Nordhavn: 2 surveys, 1 answered (1): 0 of 1 satisfied.
    await survey('nord', operatorBoth, 1);
    await survey('nord', operatorBoth, null);
    // Outside the period: not counted.
    await survey('acme', operatorAcme, 1, '2026-04-02T10:00:00Z');
  });
  after(async () => {
    await tp?.stop();
  });

  it('counts surveys, responses and satisfied per client and operator, with the Wilson interval', async () => {
    const report = await csatReport(ctxOf(world.users.admin, null), 'Europe/Rome', range);
    const acme = report.clients.find((c) => c.tenant.id === world.acme.id);
    expect(acme).to.include({ surveys: 5, responses: 4, satisfied: 3, responseRate: 0.8, average: 3.75 });
    // 3 of 4 at 95 %: Wilson [0.3006, 0.9544] (the normal approximation would give [0.326, 1.174]).
    expect(acme?.interval.estimate).to.equal(0.75);
    expect(acme?.interval.lower).to.be.closeTo(0.3006, 0.0005);
    expect(acme?.interval.upper).to.be.closeTo(0.9544, 0.0005);
    const nord = report.clients.find((c) => c.tenant.id === world.nord.id);
    expect(nord).to.include({ surveys: 2, responses: 1, satisfied: 0, responseRate: 0.5, average: 1 });
    expect(nord?.interval.lower).to.equal(0);
    expect(nord?.interval.upper).to.be.closeTo(0.7935, 0.0005);

    const op = report.operators.find((o) => o.operator?.id === String(world.users.operatorAcme._id));
    expect(op).to.include({ surveys: 4, responses: 3, satisfied: 3 });
    expect(op?.interval.lower).to.be.closeTo(0.4385, 0.0005);
    expect(op?.interval.upper).to.equal(1);
    const unassigned = report.operators.find((o) => o.operator === null);
    expect(unassigned).to.include({ surveys: 1, responses: 1, satisfied: 0 });
    expect(report.total).to.include({ surveys: 7, responses: 5, satisfied: 3 });
  });

  it('shows a viewer only the clients they serve', async () => {
    const lead = await makeWorldLead();
    const report = await csatReport(lead, 'Europe/Rome', range);
    expect(report.clients.map((c) => c.tenant.id)).to.deep.equal([world.acme.id]);
    expect(report.total).to.include({ surveys: 5, responses: 4 });
  });

  async function makeWorldLead() {
    const user = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id] });
    return ctxOf(user, null);
  }

  it('renders the page and the CSV in the reader’s language', async () => {
    const agent = await signedInAgent(tp.url, world.users.teamLead.email);
    const page = await agent.get(`/reports/csat?from=${range.from}&to=${range.to}`).expect(200);
    const clients = tableRows(page.text, 'csat-clients');
    const acmeRow = clients.find((r) => r[0] === world.acme.legalName);
    expect(acmeRow).to.deep.equal([
      world.acme.legalName,
      '5',
      '4',
      '80 %',
      '3.75',
      '75 % (3)',
      '30.1 % – 95.4 %',
    ]);
    const csv = await agent.get(`/reports/csat/export.csv?from=${range.from}&to=${range.to}`).expect(200);
    const rows = parse(csv.text.replace(/^\uFEFF/, ''), { delimiter: ',' }) as string[][];
    expect(rows[0]).to.include('Share satisfied');
    const line = rows.find((r) => r[1] === world.acme.legalName);
    expect(line).to.deep.equal([
      'Client',
      world.acme.legalName,
      '5',
      '4',
      '0.8',
      '3.75',
      '3',
      '0.75',
      '0.3006',
      '0.9544',
    ]);
  });

  it('adds each client’s satisfaction line to the weekly digest', async () => {
    // Monday 16 March 2026: the digest of week 11 (9 to 16 March), which holds the surveys.
    await queueWeeklyDigests(systemCtx(pino({ level: 'silent' }), 'test'), new Date('2026-03-16T10:00:00Z'));
    const mail = await tp.smtp.waitFor(
      (m) =>
        recipientOf(m).includes(world.users.accountManager.email) && (m.subject ?? '').includes('2026-W11'),
    );
    expect(mail.text).to.include(
      'Satisfaction: 4 of 5 surveys answered (80 %), satisfied 75 % (95 %: 30.1 % – 95.4 %)',
    );
    expect(mail.text).to.include(
      'Satisfaction: 1 of 2 surveys answered (50 %), satisfied 0 % (95 %: 0 % – 79.3 %)',
    );
  });

  it('puts the month’s satisfaction in the client statement, its page and its CSV (no operator named)', async () => {
    const statement = await clientStatement(ctxOf(world.users.admin, null), world.acme.id, {
      month: '2026-03',
    });
    expect(statement.satisfaction).to.include({ surveys: 5, responses: 4, satisfied: 3 });
    const agent = await signedInAgent(tp.url, world.users.accountManager.email);
    const page = await agent.get(`/reports/${world.acme.id}/statement?month=2026-03`).expect(200);
    expect(tableRows(page.text, 'satisfaction')).to.deep.equal([
      ['5', '4', '80 %', '3.75', '75 % (3)', '30.1 % – 95.4 %'],
    ]);
    expect(page.text).not.to.include(world.users.operatorAcme.name);
    const csv = await agent
      .get(`/reports/${world.acme.id}/statement/export/satisfaction.csv?month=2026-03`)
      .expect(200);
    const rows = parse(csv.text.replace(/^\uFEFF/, ''), { delimiter: ',' }) as string[][];
    expect(rows[1]).to.deep.equal(['5', '4', '0.8', '3.75', '3', '0.75', '0.3006', '0.9544']);
  });

  it('shows the client’s satisfaction on its SLA report page and in its PDF, in the client’s language', async () => {
    const agent = await signedInAgent(tp.url, world.users.accountManager.email);
    const query = `from=${range.from}&to=${range.to}`;
    const page = await agent.get(`/reports/${world.acme.id}?${query}`).expect(200);
    expect(tableRows(page.text, 'satisfaction')).to.deep.equal([
      ['5', '4', '80 %', '3.75', '75 % (3)', '30.1 % – 95.4 %'],
    ]);
    const res = await agent
      .get(`/reports/${world.acme.id}/export/report.pdf?${query}`)
      .buffer(true)
      .parse((raw, done) => {
        const chunks: Buffer[] = [];
        raw.on('data', (c: Buffer) => chunks.push(c));
        raw.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const pdf = await readPdf(res.body as Buffer);
    // Acme reads Italian: the section and its interval, as the page shows them.
    const text = pdf.text.toLowerCase().replace(/\s+/g, ' ');
    expect(text).to.include('soddisfazione dei clienti');
    expect(text).to.include('30,1 % – 95,4 %');
  });
});
