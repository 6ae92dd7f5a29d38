import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { KeyedRecord } from '../../../models/quality.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { apiClient, bodies, tokenOf } from '../../support/api.js';
import { csrfFrom, signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/**
 * A record file with two columns for one field (by key and by label, or the same name twice) is
 * refused as a whole, saying which columns: one of the two values was silently dropped before
 * (found by the outside test with `sku,sku,qty`).
 */
describe('record files with two columns for one field', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let number: string;

  before(async () => {
    tp = await startTestPortal('http-record-columns');
    world = await makeWorld();
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), String(world.acme.id), {
      name: 'Columns',
      aql: { critical: 0.65, major: 1, minor: 2.5 },
      fields: [
        { key: 'ref', label: 'Reference', type: 'text' },
        { key: 'amount', label: 'Amount', type: 'number', decimals: 2 },
      ],
    });
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    number = ticket.number;
    await startBatch(ctxOf(world.users.operatorAcme, null), number, String(layout._id));
  });
  after(() => tp?.stop());

  const stored = () => KeyedRecord.countDocuments({ tenantId: world.acme._id });

  it('refuses a CSV or XLSX with two columns for one field through the API (422, naming both)', async () => {
    const api = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    const csv = await api
      .post(`/tickets/${number}/records`)
      .set('Accept-Language', 'en')
      .set('Content-Type', 'text/csv')
      .send('ref,amount,Amount\nR-1,1.00,2.00\n');
    expect(csv.status).to.equal(422);
    expect(csv.body.error.fields).to.deep.equal([
      {
        path: 'file',
        message:
          'The file has two columns for the field Amount (“amount” and “Amount”): keep one and send it again.',
      },
    ]);

    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Records');
    sheet.addRow(['Reference', 'ref', 'Amount']);
    sheet.addRow(['R-1', 'R-2', 1]);
    const xlsx = await api
      .post(`/tickets/${number}/records`)
      .set('Accept-Language', 'it')
      .set('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .send(Buffer.from(await book.xlsx.writeBuffer()));
    expect(xlsx.status).to.equal(422);
    expect(xlsx.body.error.fields[0].message).to.equal(
      'Il file ha due colonne per il campo Reference («Reference» e «ref»): tienine una e invialo di nuovo.',
    );
    expect(await stored()).to.equal(0);

    // One column per field: imported.
    await api
      .post(`/tickets/${number}/records`)
      .set('Content-Type', 'text/csv')
      .send('ref,amount\nR-1,1\n')
      .expect(200);
    expect(await stored()).to.equal(1);
  });

  it('goes back to the keying page saying which columns, in the keyer’s language', async () => {
    const keyer = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'da' });
    const agent = await signedInAgent(tp.url, keyer.email);
    const keying = `/tickets/${number}/keying`;
    const res = await agent
      .post(`${keying}/import`)
      .field('_csrf', csrfFrom((await agent.get(keying).expect(200)).text))
      .attach('file', Buffer.from('ref;ref;amount\nR-9;R-10;3\n'), 'rows.csv');
    expect(res.status).to.equal(302);
    const page = textOf((await agent.get(keying).expect(200)).text);
    expect(page).to.contain(
      'Filen har to kolonner til feltet Reference (»ref« og »ref«): behold den ene, og send den igen.',
    );
    expect(await stored()).to.equal(1);
  });
});
