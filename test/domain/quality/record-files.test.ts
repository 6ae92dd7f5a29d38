import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { KeyedRecord } from '../../../models/quality.js';
import { KeyingImport } from '../../../models/keying-import.js';
import { Ticket } from '../../../models/ticket.js';
import type { UserDoc } from '../../../models/user.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { exportRecordsText, writeRecordsXlsx } from '../../../server/domain/quality/export-records.js';
import {
  importRecordFile,
  importRecords,
  recordFileOf,
} from '../../../server/domain/quality/import-records.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { AppError } from '../../../server/errors/app-error.js';
import { bodies } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { ctxOf } from '../../support/tickets.js';
import { rezip } from '../../support/zip.js';

type Cell = string | number | Date | boolean | null | { formula: string; result: number };

/** An XLSX workbook made here (exceljs), first sheet the given rows; `text` columns formatted as text. */
async function workbook(rows: Cell[][], extraSheet = false): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Records');
  for (const row of rows) sheet.addRow(row);
  sheet.getColumn(4).numFmt = 'dd/mm/yyyy';
  if (extraSheet) book.addWorksheet('Notes').addRow(['not records']);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** The cells of an XLSX file's first sheet, as exceljs reads them. */
async function cellsOf(bytes: Buffer): Promise<unknown[][]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(bytes as unknown as ArrayBuffer);
  const out: unknown[][] = [];
  book.worksheets[0]!.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
  return out;
}

async function xlsxExport(ctx: Parameters<typeof writeRecordsXlsx>[0], ref: string): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => sink.on('end', resolve));
  await writeRecordsXlsx(ctx, ref, sink);
  await ended;
  return Buffer.concat(chunks);
}

/** Issue #18 item 1: records in and out as XLSX beside CSV, streamed, typed cells mapped to the layout. */
describe('record files: XLSX and CSV import and export', function () {
  this.timeout(60_000);
  let world: World;
  let layoutId: string;
  let italian: UserDoc;

  before(async () => {
    await connectTestDb('record-files');
    world = await makeWorld();
    italian = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'it' });
    const saved = await saveLayout(ctxOf(world.users.teamLead, null), world.acme.id as string, {
      name: 'Supplier invoices',
      aql: { critical: 0.65, major: 1.0, minor: 2.5 },
      fields: [
        { key: 'vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
        { key: 'customer_code', label: 'Customer code', type: 'text', maxLength: 20 },
        { key: 'amount', label: 'Amount', type: 'number', decimals: 2, required: true },
        { key: 'issued', label: 'Issue date', type: 'date', required: true },
        { key: 'kind', label: 'Kind', type: 'code', codes: ['INV', 'CN'] },
        { key: 'iban', label: 'IBAN', type: 'iban' },
      ],
    });
    layoutId = String(saved._id);
  });
  after(dropAndDisconnect);

  const op = () => ctxOf(world.users.operatorAcme, null);
  async function batchTicket(): Promise<string> {
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    await startBatch(op(), ticket.number, layoutId);
    return ticket.number;
  }
  const ticketIdOf = async (number: string) =>
    (await Ticket.findOne({ tenantId: world.acme._id, number }).lean())!._id;
  const storedValues = async (number: string) =>
    (
      await KeyedRecord.find({ tenantId: world.acme._id, ticketId: await ticketIdOf(number) })
        .sort({ seq: 1 })
        .lean()
    ).map((r) => r.values);
  const header: Cell[] = ['Supplier VAT', 'customer_code', 'Amount', 'Issue date', 'kind', 'IBAN'];
  const day = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));

  it('maps typed cells to the field types: dates, decimals, leading zeros kept as text', async () => {
    const number = await batchTicket();
    const file = await workbook(
      [
        header,
        ['IT01234567897', '007', 1234.56, day(2026, 3, 2), 'inv', 'IT60X0542811101000000123456'],
        ['DK12345674', '0042', 7, '15/04/2026', 'CN', null],
        ['IT01234567897', null, { formula: '2+0.5', result: 2.5 }, '2026-05-31', null, null],
      ],
      true,
    );
    expect(await importRecordFile(op(), number, recordFileOf(file))).to.deep.equal({
      imported: 3,
      errors: [],
    });
    expect(await storedValues(number)).to.deep.equal([
      {
        vat: 'IT01234567897',
        customer_code: '007',
        amount: 1234.56,
        issued: '2026-03-02',
        kind: 'INV',
        iban: 'IT60X0542811101000000123456',
      },
      { vat: 'DK12345674', customer_code: '0042', amount: 7, issued: '2026-04-15', kind: 'CN', iban: null },
      {
        vat: 'IT01234567897',
        customer_code: null,
        amount: 2.5,
        issued: '2026-05-31',
        kind: null,
        iban: null,
      },
    ]);
  });

  it('reads a number cell the same whatever the importer locale (the decimals kept)', async () => {
    const number = await batchTicket();
    const file = await workbook([header, ['IT01234567897', 'a', 1250.4, day(2026, 1, 31), null, null]]);
    expect(await importRecordFile(ctxOf(italian, null), number, recordFileOf(file))).to.deep.equal({
      imported: 1,
      errors: [],
    });
    expect(await exportRecordsText(op(), number)).to.equal(
      'vat,customer_code,amount,issued,kind,iban\r\nIT01234567897,a,1250.4,2026-01-31,,\r\n',
    );
  });

  it('round-trips: XLSX in, XLSX out with the same cells, and that file in again gives the same records', async () => {
    const number = await batchTicket();
    const rows: Cell[][] = [
      ['vat', 'customer_code', 'amount', 'issued', 'kind', 'iban'],
      ['IT01234567897', '000123', 0.5, day(2024, 2, 29), 'INV', 'DK5000400440116243'],
      ['DK12345674', '=HYPERLINK("x")', 1000000, day(1999, 12, 31), 'CN', null],
      ['IT01234567897', '+39 045', -0, day(2026, 12, 1), null, null],
    ];
    await importRecordFile(op(), number, recordFileOf(await workbook(rows)));
    const out = await xlsxExport(op(), number);
    const cells = await cellsOf(out);
    expect(cells[0]).to.deep.equal(rows[0]);
    expect(cells[1]).to.deep.equal(rows[1]);
    // Text that looks like a formula is a text cell, never a formula.
    expect(cells[2]).to.deep.equal(['DK12345674', '=HYPERLINK("x")', 1000000, day(1999, 12, 31), 'CN']);
    expect(cells[3]).to.deep.equal(['IT01234567897', '+39 045', 0, day(2026, 12, 1)]);
    // Each column keeps its format (the export reuses one style per format): text as text, dates
    // yyyy-mm-dd, numbers general.
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(out as unknown as ArrayBuffer);
    const second = book.worksheets[0]!.getRow(2);
    expect([1, 2, 3, 4, 5, 6].map((c) => second.getCell(c).numFmt ?? 'General')).to.deep.equal([
      '@',
      '@',
      'General',
      'yyyy-mm-dd',
      '@',
      '@',
    ]);

    const again = await batchTicket();
    await importRecordFile(op(), again, recordFileOf(out));
    expect(await exportRecordsText(op(), again)).to.equal(await exportRecordsText(op(), number));
    const again2 = await xlsxExport(op(), again);
    expect(await cellsOf(again2)).to.deep.equal(cells);
  });

  it('neutralises formulas in the CSV export and restores them on import', async () => {
    const number = await batchTicket();
    const csv = [
      'vat,customer_code,amount,issued',
      'IT01234567897,=1+1,1,2026-01-01',
      'IT01234567897,@cmd,2,2026-01-02',
      'IT01234567897,-x,-3.5,2026-01-03',
    ].join('\n');
    await importRecords(op(), number, csv);
    const exported = await exportRecordsText(op(), number);
    expect(exported.split('\r\n').slice(1, 4)).to.deep.equal([
      "IT01234567897,'=1+1,1,2026-01-01,,",
      "IT01234567897,'@cmd,2,2026-01-02,,",
      "IT01234567897,'-x,-3.5,2026-01-03,,",
    ]);
    const again = await batchTicket();
    await importRecords(op(), again, exported);
    expect(await exportRecordsText(op(), again)).to.equal(exported);
  });

  it('reports bad XLSX rows by their row number and field, like CSV, and stores nothing', async () => {
    const number = await batchTicket();
    const file = await workbook([
      header,
      ['IT01234567897', 'ok', 1.5, day(2026, 3, 2), 'INV', null],
      [],
      ['DK12345675', 'ok', 1.234, '31/02/2026', 'XX', 'IT60X0542811101000000123457'],
      ['IT01234567897', 'x'.repeat(21), 'abc', 'yesterday', null, null],
    ]);
    const report = await importRecordFile(op(), number, recordFileOf(file));
    expect(report.imported).to.equal(0);
    expect(report.errors.map((e) => `${e.row}:${e.field}:${e.key}`)).to.deep.equal([
      '4:vat:exact.vat.dk_check',
      '4:amount:quality.field.decimals',
      '4:issued:quality.field.date',
      '4:kind:validation.invalid_choice',
      `4:iban:${report.errors.find((e) => e.field === 'iban')?.key}`,
      '5:customer_code:validation.too_long',
      '5:amount:exact.number',
      '5:issued:quality.field.date',
    ]);
    expect(report.errors.find((e) => e.field === 'iban')?.key).to.match(/iban/);
    expect(await storedValues(number)).to.deep.equal([]);

    // The same refusals for the same rows as CSV.
    const csv = [
      'Supplier VAT,customer_code,Amount,Issue date,kind,IBAN',
      'IT01234567897,ok,1.5,2026-03-02,INV,',
      'DK12345675,ok,1.234,31/02/2026,XX,IT60X0542811101000000123457',
      `IT01234567897,${'x'.repeat(21)},abc,yesterday,,`,
    ].join('\n');
    const fromCsv = await importRecords(op(), number, csv);
    expect(fromCsv.errors.map((e) => `${e.field}:${e.key}`)).to.deep.equal(
      report.errors.map((e) => `${e.field}:${e.key}`),
    );
  });

  it('reads a workbook whatever the order of its parts (workbook part last, as openpyxl writes), from memory or disk', async () => {
    const rows: Cell[][] = [header, ['IT01234567897', '007', 1234.56, day(2026, 3, 2), 'inv', null]];
    const original = await workbook(rows, true);
    const sheetsFirst = (names: string[]) => [
      ...names.filter((n) => n.startsWith('xl/worksheets/')),
      ...names.filter((n) => !n.startsWith('xl/worksheets/') && !n.startsWith('xl/workbook')),
      ...names.filter((n) => n.startsWith('xl/workbook') || n.startsWith('xl/_rels/')),
    ];
    const dir = await mkdtemp(join(tmpdir(), 'records-test-'));
    try {
      const workbookLast = (names: string[]) => [
        'xl/_rels/workbook.xml.rels',
        'xl/sharedStrings.xml',
        ...names.filter((n) => n.startsWith('xl/worksheets/')),
        ...names.filter(
          (n) => !/^xl\/(worksheets\/|workbook\.xml|sharedStrings\.xml|_rels\/workbook)/.test(n),
        ),
        'xl/workbook.xml',
      ];
      for (const [label, bytes] of [
        ['workbook part last', await rezip(original, workbookLast)],
        ['sheets first', await rezip(original, sheetsFirst)],
        ['reversed', await rezip(original, (names) => [...names].reverse())],
      ] as const) {
        const fromMemory = await batchTicket();
        expect(await importRecordFile(op(), fromMemory, recordFileOf(bytes)), label).to.deep.equal({
          imported: 1,
          errors: [],
        });
        const path = join(dir, `${label}.xlsx`);
        await writeFile(path, bytes);
        const fromDisk = await batchTicket();
        expect(
          await importRecordFile(op(), fromDisk, { format: 'xlsx', open: () => createReadStream(path) }),
          label,
        ).to.deep.equal({ imported: 1, errors: [] });
        for (const ref of [fromMemory, fromDisk])
          expect((await storedValues(ref))[0], label).to.include({
            customer_code: '007',
            issued: '2026-03-02',
          });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unreadable or empty workbook', async () => {
    const number = await batchTicket();
    const refusal = async (bytes: Buffer) => {
      try {
        await importRecordFile(op(), number, recordFileOf(bytes));
      } catch (err) {
        if (err instanceof AppError) return err.fields.map((f) => f.key).join(',');
        throw err;
      }
      return 'accepted';
    };
    expect(await refusal(Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]))).to.equal(
      'keying_files.errors.xlsx_unreadable',
    );
    expect(await refusal(await workbook([header]))).to.equal('keying.errors.csv_empty');
    // Cut short, or a ZIP that is no workbook: refused, never left waiting.
    const whole = await workbook([header, ['IT01234567897', '007', 1, day(2026, 3, 2), null, null]]);
    expect(await refusal(whole.subarray(0, Math.floor(whole.length / 2)))).to.equal(
      'keying_files.errors.xlsx_unreadable',
    );
    expect(
      await refusal(await rezip(whole, (names) => names.filter((n) => n !== 'xl/workbook.xml'))),
    ).to.equal('keying_files.errors.xlsx_unreadable');
  });

  it('adds the same file once when it is imported twice, even at the same time', async () => {
    const number = await batchTicket();
    const file = await workbook([
      header,
      ...Array.from({ length: 30 }, (_, i): Cell[] => [
        'IT01234567897',
        `c${i}`,
        i + 1,
        day(2026, 1, 1 + i),
        null,
        null,
      ]),
    ]);
    const [a, b] = await Promise.all([
      importRecordFile(op(), number, recordFileOf(file)),
      importRecordFile(op(), number, recordFileOf(file)),
    ]);
    expect([a.imported, b.imported]).to.deep.equal([30, 30]);
    await importRecordFile(op(), number, recordFileOf(file));
    const lines = (await exportRecordsText(op(), number)).trim().split('\r\n');
    expect(lines).to.have.length(31);
    expect(lines.slice(1).map((l) => l.split(',')[1])).to.deep.equal(
      Array.from({ length: 30 }, (_, i) => `c${i}`),
    );
    expect(
      await KeyingImport.countDocuments({ tenantId: world.acme._id, digest: { $exists: true } }),
    ).to.be.greaterThan(0);

    // A crash part way through the rows: the same file again completes it.
    const crashed = await batchTicket();
    await importRecordFile(op(), crashed, recordFileOf(file));
    // As if the process had stopped after the first rows were inserted: the later ones are missing.
    await KeyedRecord.deleteMany({
      tenantId: world.acme._id,
      ticketId: await ticketIdOf(crashed),
      seq: { $gt: 18 },
    });
    await importRecordFile(op(), crashed, recordFileOf(file));
    expect(await exportRecordsText(op(), crashed)).to.equal(await exportRecordsText(op(), number));
  });

  it('reads a CSV streamed in small chunks, semicolons and quotes across chunk edges', async () => {
    const number = await batchTicket();
    const text = [
      '\ufeffvat;customer_code;amount;issued',
      ...Array.from({ length: 200 }, (_, i) => `IT01234567897;"a;${i}";${i},5;0${(i % 9) + 1}/02/2026`),
    ].join('\r\n');
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
      bytes.subarray(i * 7, i * 7 + 7),
    );
    const report = await importRecordFile(ctxOf(italian, null), number, {
      format: 'csv',
      open: () => Readable.from(chunks, { objectMode: false }),
    });
    expect(report).to.deep.equal({ imported: 200, errors: [] });
    const lines = (await exportRecordsText(op(), number)).trim().split('\r\n');
    expect(lines[1]).to.equal('IT01234567897,"a;0",0.5,2026-02-01,,');
    expect(lines[200]).to.equal('IT01234567897,"a;199",199.5,2026-02-02,,');
  });
});
