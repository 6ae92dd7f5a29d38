import { expect } from 'chai';
import ExcelJS from 'exceljs';
import type { UserDoc } from '../../../models/user.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { closeLot } from '../../../server/domain/quality/close-lot.js';
import { finishBatch } from '../../../server/domain/quality/finish-batch.js';
import { recordInspection } from '../../../server/domain/quality/record-inspection.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { apiClient, binary, bodies, tokenOf } from '../../support/api.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

const xlsxType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function workbook(rows: unknown[][]): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Records');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await book.xlsx.writeBuffer());
}

async function cellsOf(bytes: Buffer): Promise<unknown[][]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(bytes as unknown as ArrayBuffer);
  const out: unknown[][] = [];
  book.worksheets[0]!.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
  return out;
}

/** Issue #18 item 1 over HTTP: CSV/XLSX records through the keying page and the REST API, per tenant. */
describe('record files through the keying page and the API', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let keyer: Agent;
  let outsider: Agent;
  let number: string;
  let acmeToken: string;
  let nordToken: string;
  let nordOperator: UserDoc;

  before(async () => {
    tp = await startTestPortal('http-record-files');
    world = await makeWorld();
    nordOperator = await makeUser({ role: 'operator', tenantIds: [world.nord.id] });
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), world.acme.id as string, {
      name: 'Invoices',
      aql: { critical: 0.65, major: 1.0, minor: 2.5 },
      fields: [
        { key: 'vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
        { key: 'code', label: 'Customer code', type: 'text', maxLength: 20 },
        { key: 'amount', label: 'Amount', type: 'number', decimals: 2, required: true },
        { key: 'issued', label: 'Issued', type: 'date' },
      ],
    });
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    number = ticket.number;
    await startBatch(ctxOf(world.users.operatorAcme, null), number, String(layout._id));
    keyer = await signedInAgent(tp.url, world.users.operatorAcme.email);
    outsider = await signedInAgent(tp.url, nordOperator.email);
    acmeToken = (await tokenOf(world.users.acmeAdmin)).token;
    nordToken = (await tokenOf(world.users.nordAdmin)).token;
  });
  after(async () => {
    await tp?.stop();
  });

  it('imports an XLSX file from the keying page and exports the records as XLSX and CSV', async () => {
    const keying = `/tickets/${number}/keying`;
    const page = await keyer.get(keying).expect(200);
    expect(page.text).to.contain(`${keying}/export.xlsx`);
    const file = await workbook([
      ['Supplier VAT', 'Customer code', 'Amount', 'Issued'],
      ['IT01234567897', '00042', 12.5, new Date(Date.UTC(2026, 2, 2))],
      ['DK12345674', '=cmd', 3, '2026-03-03'],
    ]);
    const res = await keyer
      .post(`${keying}/import`)
      .field('_csrf', csrfFrom(page.text))
      .attach('file', file, 'records.xlsx');
    expect(res.status).to.equal(302);
    expect((await keyer.get(keying).expect(200)).text).to.contain('2 records imported.');

    const xlsx = await keyer.get(`${keying}/export.xlsx`).buffer(true).parse(binary).expect(200);
    expect(xlsx.headers['content-type']).to.equal(xlsxType);
    expect(xlsx.headers['content-disposition']).to.contain(`${number}-records.xlsx`);
    expect(await cellsOf(xlsx.body as Buffer)).to.deep.equal([
      ['vat', 'code', 'amount', 'issued'],
      ['IT01234567897', '00042', 12.5, new Date(Date.UTC(2026, 2, 2))],
      ['DK12345674', '=cmd', 3, new Date(Date.UTC(2026, 2, 3))],
    ]);
    const csv = await keyer.get(`${keying}/export.csv`).expect(200);
    expect(csv.text).to.equal(
      "vat,code,amount,issued\r\nIT01234567897,00042,12.5,2026-03-02\r\nDK12345674,'=cmd,3,2026-03-03\r\n",
    );

    const bad = await keyer
      .post(`${keying}/import`)
      .field('_csrf', csrfFrom((await keyer.get(keying).expect(200)).text))
      .attach(
        'file',
        await workbook([
          ['vat', 'amount'],
          ['IT01234567897', 'abc'],
        ]),
        'bad.xlsx',
      );
    expect(bad.status).to.equal(422);
    expect(bad.text).to.match(/<td>2<\/td><td>amount<\/td>/);
  });

  it('keeps another client operator out of the import and both exports', async () => {
    const keying = `/tickets/${number}/keying`;
    await outsider.get(`${keying}/export.xlsx`).expect(404);
    await outsider.get(`${keying}/export.csv`).expect(404);
    const page = await outsider.get('/').expect(200);
    const res = await outsider
      .post(`${keying}/import`)
      .field('_csrf', csrfFrom(page.text))
      .attach('file', Buffer.from('vat,amount\nIT01234567897,1\n'), 'r.csv');
    expect(res.status).to.equal(404);
  });

  it('imports CSV and XLSX bodies through the API, row refusals as field errors, per tenant', async () => {
    const acme = apiClient(tp.url, acmeToken);
    const csv = await acme
      .post(`/tickets/${number}/records`)
      .set('Content-Type', 'text/csv')
      .send('amount;vat;issued\n1,5;IT01234567897;01/04/2026\n');
    expect(csv.status, csv.text).to.equal(200);
    expect(csv.body).to.deep.equal({ imported: 1 });
    const xlsx = await acme
      .post(`/tickets/${number}/records`)
      .set('Content-Type', xlsxType)
      .send(
        await workbook([
          ['vat', 'amount'],
          ['DK12345674', 9.99],
        ]),
      );
    expect(xlsx.body).to.deep.equal({ imported: 1 });

    const bad = await acme
      .post(`/tickets/${number}/records`)
      .set('Content-Type', 'text/csv')
      .send('vat,amount\nIT01234567897,1\nDK12345675,x\n');
    expect(bad.status).to.equal(422);
    expect(bad.body.error.fields.map((f: { path: string }) => f.path)).to.deep.equal([
      'rows.3.vat',
      'rows.3.amount',
    ]);
    await acme
      .post(`/tickets/${number}/records`)
      .set('Content-Type', 'application/json')
      .send('{"vat":"IT01234567897"}')
      .expect(415);

    const nord = apiClient(tp.url, nordToken);
    await nord
      .post(`/tickets/${number}/records`)
      .set('Content-Type', 'text/csv')
      .send('vat,amount\nIT01234567897,1\n')
      .expect(404);
    await nord.get(`/tickets/${number}/records`).expect(404);
    await nord.get(`/tickets/${number}/records?format=xlsx`).expect(404);
  });

  it('gives the client its records once the lot is accepted, as CSV or XLSX', async () => {
    const acme = apiClient(tp.url, acmeToken);
    const early = await acme.get(`/tickets/${number}/records`).set('Accept-Language', 'en').expect(409);
    expect(early.body.error.message).to.equal('The records are sent back once their lot is accepted.');

    const op = ctxOf(world.users.operatorAcme, null);
    const lead = ctxOf(world.users.teamLead, null);
    const lot = await finishBatch(op, number);
    for (const seq of lot.seqs) await recordInspection(lead, number, { seq, wrongFields: [] });
    expect((await closeLot(lead, number)).verdict).to.equal('accepted');

    const csv = await acme.get(`/tickets/${number}/records`).expect(200);
    expect(csv.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(csv.text.split('\r\n')).to.deep.equal([
      'vat,code,amount,issued',
      'IT01234567897,00042,12.5,2026-03-02',
      "DK12345674,'=cmd,3,2026-03-03",
      'IT01234567897,,1.5,2026-04-01',
      'DK12345674,,9.99,',
      '',
    ]);
    const xlsx = await acme
      .get(`/tickets/${number}/records?format=xlsx`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    const cells = await cellsOf(xlsx.body as Buffer);
    expect(cells).to.have.length(5);
    expect([cells[4]![0], cells[4]![2]]).to.deep.equal(['DK12345674', 9.99]);
    await acme.get(`/tickets/${number}/records?format=pdf`).expect(422);
    // Closed for new records now.
    await acme
      .post(`/tickets/${number}/records`)
      .set('Content-Type', 'text/csv')
      .send('vat,amount\nIT01234567897,1\n')
      .expect(409);
  });
});
