import { expect } from 'chai';
import type { Types } from 'mongoose';
import { pino } from 'pino';
import supertest from 'supertest';
import { ImportBatch } from '../../../models/import-batch.js';
import { Ticket } from '../../../models/ticket.js';
import { purgeExpired } from '../../../server/domain/housekeeping/purge-expired.js';
import { systemCtx } from '../../../server/domain/context.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { batchIdOf, commitBatch, uploadCsv } from '../../support/csv-import.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { alertText, newObjectId, tableRows, textOf, textOfElementWith } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

const BOM = '\uFEFF';
const HEADER = 'subject,description,priority,batchDescription,targetSystem,expectedRecordCount,tags';

/** What an Italian Excel writes: BOM, `;`, Italian header names, decimal commas and thousands dots. */
const italianExcel = [
  'Oggetto;Descrizione;Priorità;Descrizione lotto;Sistema;Numero record;Etichette',
  'Bolle settimana 12;Scansioni in cartella, lotto A;alta;Inserire le bolle della settimana 12;SAP MM;1.200;bolle,settimana 12',
  'Bolle settimana 13;;;Inserire le bolle della settimana 13;SAP MM;12,5;',
  'Fatture fornitori;Da registrare;normale;Registrare le fatture di marzo;Zucchetti;300;',
].join('\r\n');

describe('CSV import of data-entry tickets over HTTP', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let client: Agent;
  interface ImportedTicket {
    number: string;
    subject: string;
    type: string;
    channel: string;
    priority: string;
    tags: string[];
    fields: Record<string, unknown>;
  }
  const importTickets = (tenantId: Types.ObjectId) =>
    Ticket.find({ tenantId, channel: 'import' }).sort({ seq: 1 }).lean<ImportedTicket[]>();

  before(async () => {
    tp = await startTestPortal('csv-import');
    world = await makeWorld();
    const acmeEn = await makeUser({ role: 'client_user', tenantId: world.acme.id, locale: 'en' });
    client = await signedInAgent(tp.url, acmeEn.email);
  });
  after(() => tp?.stop());

  it('shows the upload form with the column spec and a downloadable template', async () => {
    const page = await client.get('/tickets/import').expect(200);
    expect(page.text)
      .to.include('enctype="multipart/form-data"')
      .and.include('name="_csrf"')
      .and.include('href="/tickets/import/template.csv"');
    const columns = tableRows(page.text, 'import-columns').map((r) => r[0]);
    expect(columns).to.deep.equal([
      'subject',
      'description',
      'priority',
      'batchDescription',
      'targetSystem',
      'expectedRecordCount',
      'tags',
    ]);

    const template = await client.get('/tickets/import/template.csv').expect(200);
    expect(template.headers['content-type']).to.match(/^text\/csv; charset=utf-8/);
    expect(template.headers['content-disposition']).to.equal(
      'attachment; filename="ticket-import-template.csv"',
    );
    expect(template.text.startsWith(`${BOM}${HEADER}\r\n`)).to.equal(true);

    // Italian and Danish readers get `;`, as their Excel expects; the template imports as it is.
    const italian = await signedInAgent(tp.url, world.users.acmeUser.email);
    const it = await italian.get('/tickets/import/template.csv').expect(200);
    expect(it.text.split('\r\n')[0]).to.equal(`${BOM}${HEADER.replaceAll(',', ';')}`);
    const up = await uploadCsv(italian, it.text, 'modello.csv').expect(303);
    const batch = await ImportBatch.findOne({
      tenantId: world.acme._id as Types.ObjectId,
      _id: batchIdOf(up.headers.location),
    }).lean();
    expect(batch?.validCount).to.equal(1);
    expect(batch?.delimiter).to.equal(';');
  });

  it('reads a `;` file with BOM and Italian headers, and reports row errors with their row numbers', async () => {
    const res = await uploadCsv(client, BOM + italianExcel, 'lotto.csv').expect(303);
    const preview = await client.get(res.headers.location as string).expect(200);
    expect(textOfElementWith(preview.text, 'data-testid="import-counts"')).to.equal(
      '3 rows read: 2 ready, 1 with errors.',
    );
    expect(textOf(preview.text)).to.include('Separator: semicolon');
    expect(textOfElementWith(preview.text, 'data-testid="import-only-valid"')).to.include(
      'Rows with errors are not created',
    );
    expect(textOfElementWith(preview.text, 'data-testid="import-errors"')).to.equal(
      'Row 3, Expected records: Enter a whole number, e.g. 1200.',
    );
    const rows = tableRows(preview.text, 'import-rows');
    expect(rows.map((r) => r[0])).to.deep.equal(['2', '3', '4']);
    expect(rows[0]?.[6]).to.equal('1.200');
    expect(preview.text).to.match(
      /<tr class="row-error" data-row="3">[\s\S]*?<td class="cell-error">12,5<\/td>/,
    );
    expect(textOf(preview.text)).to.include('Create 2 tickets');

    const batch = await ImportBatch.findOne({
      tenantId: world.acme._id as Types.ObjectId,
      _id: batchIdOf(res.headers.location),
    }).lean();
    const first = batch?.rows[0]?.input as {
      priority: string;
      tags: string[];
      fields: { expectedRecordCount: number };
    };
    expect(first.priority).to.equal('high');
    expect(first.fields.expectedRecordCount).to.equal(1200);
    expect(first.tags).to.deep.equal(['bolle', 'settimana 12']);
    expect(batch?.rowErrors).to.deep.equal([
      { row: 3, column: 'expectedRecordCount', key: 'import.errors.whole_number', params: {} },
    ]);
  });

  it('reads a `,` file without BOM, with quoted commas and line breaks, and commits it into tickets', async () => {
    const csv = [
      'Subject,Batch Description,TARGET_SYSTEM,expected records,Tags,Ignored column',
      'Customs forms,"Enter the forms, all of them",SAP,"1,500","customs, q2",x',
      '"Delivery notes","Two lines:',
      'first and second",WMS,40,,',
    ].join('\n');
    const res = await uploadCsv(client, csv).expect(303);
    const id = batchIdOf(res.headers.location);
    const preview = await client.get(`/tickets/import/${id}`).expect(200);
    expect(textOfElementWith(preview.text, 'data-testid="import-counts"')).to.equal(
      '2 rows read: 2 ready, 0 with errors.',
    );
    expect(textOf(preview.text))
      .to.include('Separator: comma')
      .and.include('These columns were ignored: Ignored column.');

    const before = (await importTickets(world.acme._id as Types.ObjectId)).length;
    const commit = await commitBatch(client, id);
    expect(commit.status).to.equal(303);
    expect(commit.headers.location).to.equal(`/tickets/import/${id}`);
    const created = (await importTickets(world.acme._id as Types.ObjectId)).slice(before);
    expect(created.map((t) => t.subject)).to.deep.equal(['Customs forms', 'Delivery notes']);
    expect(created[0]).to.include({ type: 'data_entry', channel: 'import', priority: 'normal' });
    expect(created[0]?.fields).to.deep.include({
      batchDescription: 'Enter the forms, all of them',
      targetSystem: 'SAP',
      expectedRecordCount: 1500,
    });
    expect(created[0]?.tags).to.deep.equal(['customs', 'q2']);
    expect((created[1]?.fields as { batchDescription: string }).batchDescription).to.equal(
      'Two lines:\nfirst and second',
    );

    const result = await client.get(`/tickets/import/${id}`).expect(200);
    expect(textOfElementWith(result.text, 'data-testid="import-result-count"')).to.equal(
      '2 tickets were created:',
    );
    for (const t of created)
      expect(result.text).to.include(`<a href="/tickets/${t.number}" class="ticket-number">${t.number}</a>`);
    const batch = await ImportBatch.findOne({ tenantId: world.acme._id as Types.ObjectId, _id: id }).lean();
    expect(batch?.status).to.equal('committed');
    expect(batch?.createdNumbers).to.deep.equal(created.map((t) => t.number));
  });

  it('creates exactly the valid rows, once, when two commits race', async () => {
    const res = await uploadCsv(client, BOM + italianExcel).expect(303);
    const id = batchIdOf(res.headers.location);
    const token = csrfFrom((await client.get(`/tickets/import/${id}`)).text);
    const before = (await importTickets(world.acme._id as Types.ObjectId)).length;
    const post = () => client.post(`/tickets/import/${id}/commit`).type('form').send({ _csrf: token });
    const answers = await Promise.all([post(), post(), post()]);
    expect(answers.map((a) => a.status)).to.deep.equal([303, 303, 303]);
    const created = (await importTickets(world.acme._id as Types.ObjectId)).slice(before);
    expect(created.map((t) => t.subject)).to.deep.equal(['Bolle settimana 12', 'Fatture fornitori']);
    // A later click (the back button) changes nothing either.
    await post().expect(303);
    expect((await importTickets(world.acme._id as Types.ObjectId)).length).to.equal(before + 2);
    const result = await client.get(`/tickets/import/${id}`).expect(200);
    expect(textOf(result.text)).to.include('1 row with errors was not created.');
    expect(tableRows(result.text, 'import-created').map((r) => r[0])).to.deep.equal(['2', '4']);
  });

  it('stops at an error, keeps what was created and says which rows were not', async () => {
    const res = await uploadCsv(client, BOM + italianExcel).expect(303);
    const id = batchIdOf(res.headers.location);
    // The second valid row (file row 4) can no longer be created.
    await ImportBatch.updateOne(
      { tenantId: world.acme._id as Types.ObjectId, _id: id },
      { $set: { 'rows.2.input.subject': '' } },
    );
    const before = (await importTickets(world.acme._id as Types.ObjectId)).length;
    const commit = await commitBatch(client, id);
    expect(commit.status).to.equal(303);
    const created = (await importTickets(world.acme._id as Types.ObjectId)).slice(before);
    expect(created.map((t) => t.subject)).to.deep.equal(['Bolle settimana 12']);
    const result = await client.get(`/tickets/import/${id}`).expect(200);
    expect(alertText(result.text)).to.include('An error stopped the import after 1 ticket.');
    expect(tableRows(result.text, 'import-created')).to.deep.equal([
      ['2', created[0]?.number, 'Bolle settimana 12'],
    ]);
    const batch = await ImportBatch.findOne({ tenantId: world.acme._id as Types.ObjectId, _id: id }).lean();
    expect(batch?.status).to.equal('failed');
    expect(batch?.createdNumbers).to.deep.equal([created[0]?.number]);
    // A failed batch is never run again.
    await commitBatch(client, id);
    expect((await importTickets(world.acme._id as Types.ObjectId)).length).to.equal(before + 1);
  });

  it("answers 404 for another tenant's batch, and for a colleague's, a missing or a malformed id", async () => {
    const res = await uploadCsv(client, BOM + italianExcel).expect(303);
    const id = batchIdOf(res.headers.location);
    const nord = await signedInAgent(tp.url, world.users.nordUser.email);
    const page = await nord.get(`/tickets/import/${id}`).expect(404);
    expect(textOf(page.text)).to.not.include('Bolle settimana');
    const token = csrfFrom((await nord.get('/tickets/import')).text);
    await nord.post(`/tickets/import/${id}/commit`).type('form').send({ _csrf: token }).expect(404);
    const colleague = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    await colleague.get(`/tickets/import/${id}`).expect(404);
    await client.get(`/tickets/import/${newObjectId()}`).expect(404);
    await client.get('/tickets/import/not-an-id').expect(404);
    expect(
      (await ImportBatch.findOne({ tenantId: world.acme._id as Types.ObjectId, _id: id }).lean())?.status,
    ).to.equal('draft');
  });

  it('forbids staff (403) and sends signed-out visitors to sign in', async () => {
    for (const who of [world.users.operatorAcme, world.users.admin, world.users.accountManager]) {
      const staff = await signedInAgent(tp.url, who.email);
      await staff.get('/tickets/import').expect(403);
      await staff.get('/tickets/import/template.csv').expect(403);
      const token = csrfFrom((await staff.get('/')).text);
      await staff
        .post('/tickets/import')
        .field('_csrf', token)
        .attach('file', Buffer.from(italianExcel), 'x.csv')
        .expect(403);
    }
    const anonymous = supertest.agent(tp.url);
    const res = await anonymous.get('/tickets/import').expect(302);
    expect(res.headers.location).to.equal('/login?next=%2Ftickets%2Fimport');
    const batch = await anonymous.get(`/tickets/import/${newObjectId()}`).expect(302);
    expect(batch.headers.location).to.match(/^\/login\?next=/);
  });

  it('refuses oversize, non-CSV, non-UTF-8 and malformed files with a 4xx and the form again', async () => {
    const refused = async (content: string | Buffer, status: number, message: string, filename = 'x.csv') => {
      const res = await uploadCsv(client, content, filename).expect(status);
      expect(alertText(res.text), filename).to.include(message);
      expect(res.text).to.include('data-testid="import-form"').and.include('name="_csrf"');
    };
    const big = `${HEADER}\n${'Subject,'.padEnd(200, 'x')},x,Batch,SAP,1,\n`.repeat(11_000);
    expect(big.length).to.be.greaterThan(2 * 1024 * 1024);
    await refused(big, 413, 'The file is larger than 2 MB.');
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    await refused(png, 422, 'This is not a CSV file.', 'picture.csv');
    await refused(
      Buffer.from('PK\u0003\u0004\u0014\u0000\u0006\u0000', 'latin1'),
      422,
      'This is not a CSV file.',
      'book.xlsx',
    );
    await refused(
      Buffer.from(`${HEADER}\nCaffè,,,Inserire,SAP,1,\n`, 'latin1'),
      422,
      'The file is not UTF-8 text.',
    );
    await refused('', 422, 'The file is empty.');
    await refused(
      'name,email\nAnna,anna@example.test\n',
      422,
      'The file has no column for: subject, batchDescription, targetSystem, expectedRecordCount.',
    );
    await refused(`${HEADER}\n`, 422, 'The file has a header but no rows.');
    await refused(
      `${HEADER}\n"Unclosed,x,normal,Batch,SAP,1,\n`,
      422,
      'The file cannot be read as CSV near line',
    );
    await refused(
      `${HEADER}\n${'Row subject,,,Batch,SAP,1,\n'.repeat(1001)}`,
      422,
      'The file has 1001 rows; at most 1000',
    );
    await refused(`${HEADER},subject\nA,,,,,,,\n`, 422, 'The column subject appears twice.');

    const token = csrfFrom((await client.get('/tickets/import')).text);
    const none = await client.post('/tickets/import').field('_csrf', token).expect(422);
    expect(alertText(none.text)).to.equal('Choose a CSV file to upload.');
    const two = await client
      .post('/tickets/import')
      .field('_csrf', token)
      .attach('file', Buffer.from(italianExcel), 'a.csv')
      .attach('file', Buffer.from(italianExcel), 'b.csv')
      .expect(400);
    expect(alertText(two.text)).to.equal('Upload one CSV file at a time.');
    // A form without the token is still refused by the CSRF check.
    await client.post('/tickets/import').attach('file', Buffer.from(italianExcel), 'a.csv').expect(403);
  });

  it('says so when no row can be created, and refuses to commit such a batch', async () => {
    const res = await uploadCsv(client, `${HEADER}\nab,,someday,B,SAP,many,\n`).expect(303);
    const id = batchIdOf(res.headers.location);
    const preview = await client.get(`/tickets/import/${id}`).expect(200);
    expect(alertText(preview.text)).to.equal('No row can be created. Fix the file and upload it again.');
    expect(preview.text).to.not.include('/commit');
    expect(textOfElementWith(preview.text, 'data-testid="import-errors"')).to.equal(
      [
        'Row 2, Subject: Must be at least 3 characters.',
        'Row 2, Priority: Use low, normal, high or urgent.',
        'Row 2, Batch description: Must be at least 2 characters.',
        'Row 2, Expected records: Enter a whole number, e.g. 1200.',
      ].join(' '),
    );
    const token = csrfFrom(preview.text);
    await client.post(`/tickets/import/${id}/commit`).type('form').send({ _csrf: token }).expect(409);
  });

  it('lets a preview expire after an hour: gone on read and on commit, then purged', async () => {
    const res = await uploadCsv(client, BOM + italianExcel).expect(303);
    const id = batchIdOf(res.headers.location);
    const token = csrfFrom((await client.get(`/tickets/import/${id}`).expect(200)).text);
    const stored = await ImportBatch.findOne({ tenantId: world.acme._id as Types.ObjectId, _id: id }).lean();
    const inAnHour = stored!.expiresAt.getTime() - Date.now();
    expect(inAnHour).to.be.within(59 * 60_000, 60 * 60_000);
    await ImportBatch.updateOne(
      { tenantId: world.acme._id as Types.ObjectId, _id: id },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    const page = await client.get(`/tickets/import/${id}`).expect(404);
    expect(textOf(page.text)).to.include('This preview has expired. Upload the file again.');
    const before = (await importTickets(world.acme._id as Types.ObjectId)).length;
    await client.post(`/tickets/import/${id}/commit`).type('form').send({ _csrf: token }).expect(404);
    expect((await importTickets(world.acme._id as Types.ObjectId)).length).to.equal(before);
    const removed = await purgeExpired(systemCtx(pino({ level: 'silent' })));
    expect(removed.importBatches).to.be.at.least(1);
    expect(
      await ImportBatch.countDocuments({ tenantId: world.acme._id as Types.ObjectId, _id: id }),
    ).to.equal(0);
  });
});
