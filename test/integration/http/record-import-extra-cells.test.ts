import { expect } from 'chai';
import supertest from 'supertest';
import { KeyedRecord } from '../../../models/quality.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { t } from '../../../server/i18n/i18n.js';
import { bodies, tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/**
 * A record file whose row has more values than its header has columns (found by the outside test
 * of issue #18): a separator inside an unquoted value shifts the row, and the value past the last
 * column was dropped without a word while its neighbours went into the wrong fields. The file is
 * refused, naming the row; empty cells past the end (trailing separators) are still taken.
 */
describe('record import: a row with more values than columns', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let token: string;
  let ref: string;

  before(async () => {
    tp = await startTestPortal('record-import-extra-cells');
    world = await makeWorld();
    token = (await tokenOf(world.users.nordAdmin, 'erp')).token;
    const created = await supertest(tp.url)
      .post('/api/v1/tickets')
      .set('Authorization', `Bearer ${token}`)
      .send(bodies.dataEntry())
      .expect(201);
    ref = created.body.number as string;
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), String(world.nord.id), {
      name: 'Customers',
      aql: { critical: 0.65, major: 1, minor: 2.5 },
      fields: [
        { key: 'name', label: 'Name', type: 'text', maxLength: 40 },
        { key: 'city', label: 'City', type: 'text', maxLength: 40 },
      ],
    });
    await startBatch(ctxOf(world.users.operatorBoth, null), ref, String(layout._id));
  });
  after(() => tp?.stop());

  const send = (csv: string) =>
    supertest(tp.url)
      .post(`/api/v1/tickets/${ref}/records`)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'text/csv')
      .send(csv);

  it('refuses the file, naming the row, and imports nothing', async () => {
    const res = await send('name,city\nHansen,Aarhus\nRossi, Mario,Milano\n');
    expect(res.status).to.equal(422);
    expect(res.body.error.fields).to.deep.equal([
      { path: 'file', message: t('da', 'input_checks.extra_cells', { row: 3 }) },
    ]);
    // A value under a header cell left empty, the same.
    const unnamed = await send('name,,city\nHansen,x,Aarhus\n');
    expect(unnamed.status).to.equal(422);
    expect(unnamed.body.error.fields[0].message).to.equal(t('da', 'input_checks.extra_cells', { row: 2 }));
    expect(await KeyedRecord.countDocuments({ tenantId: world.nord._id })).to.equal(0);
  });

  it('takes empty cells past the last column (trailing separators) and a quoted separator', async () => {
    const res = await send('name,city,,\nHansen,Aarhus,,\n"Rossi, Mario",Milano\n');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.equal({ imported: 2 });
  });
});
