import { expect } from 'chai';
import { AppError } from '../../../server/errors/app-error.js';
import {
  buildPreview,
  csvTemplate,
  detectDelimiter,
  validateRow,
} from '../../../server/domain/tickets/csv-import.js';

const csv = (text: string): Buffer => Buffer.from(text, 'utf8');

async function refusal(text: string | Buffer): Promise<AppError> {
  try {
    await buildPreview(typeof text === 'string' ? csv(text) : text);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the file to be refused');
}

describe('CSV import parsing', () => {
  it('picks the separator from the header row, ignoring quoted ones, or from an Excel sep= line', () => {
    expect(detectDelimiter('a;b;c\n1,5;2;3').delimiter).to.equal(';');
    expect(detectDelimiter('"a;x",b,c\n').delimiter).to.equal(',');
    expect(detectDelimiter('a\tb\tc\n').delimiter).to.equal('\t');
    expect(detectDelimiter('subject\n').delimiter).to.equal(',');
    expect(detectDelimiter('sep=;\r\na,b;c\n')).to.deep.equal({ delimiter: ';', skipFirstLine: true });
  });

  it('matches header aliases case-insensitively and ignores unknown columns', async () => {
    const preview = await buildPreview(
      csv(
        '\uFEFF SUBJECT ;Batch_Description;target-system;Expected Records;Whatever\nMonthly batch;Enter it;SAP;1.200;x\n',
      ),
    );
    expect(preview.columns).to.deep.equal([
      'subject',
      'batchDescription',
      'targetSystem',
      'expectedRecordCount',
    ]);
    expect(preview.ignoredColumns).to.deep.equal(['Whatever']);
    expect(preview.rows[0]?.input).to.deep.include({
      subject: 'Monthly batch',
      type: 'data_entry',
      priority: 'normal',
      tags: [],
    });
    expect(preview.rows[0]?.input?.fields).to.deep.include({
      expectedRecordCount: 1200,
      recordsCompleted: 0,
    });
  });

  it('numbers rows as a spreadsheet does, skipping blank lines but counting them', async () => {
    const preview = await buildPreview(
      csv(
        'subject,batchDescription,targetSystem,expectedRecordCount\nFirst row,Batch,SAP,1\n,,,\nThird,Batch,SAP,x\n',
      ),
    );
    expect(preview.rows.map((r) => r.row)).to.deep.equal([2, 4]);
    expect(preview.errors).to.deep.equal([
      { row: 4, column: 'expectedRecordCount', key: 'import.errors.whole_number', params: {} },
    ]);
  });

  it('reports each bad column once, and cells beyond the header', async () => {
    const result = validateRow(7, {
      subject: '',
      batchDescription: 'ok batch',
      targetSystem: 'SAP',
      expectedRecordCount: '',
      priority: 'URGENTE',
    });
    expect(result.input).to.equal(null);
    expect(result.errors.map((e) => [e.row, e.column, e.key])).to.deep.equal([
      [7, 'subject', 'validation.too_short'],
      [7, 'expectedRecordCount', 'validation.required'],
    ]);
    const priority = validateRow(2, {
      subject: 'abc',
      batchDescription: 'ok',
      targetSystem: 'S',
      expectedRecordCount: '0',
      priority: 'soon',
    });
    expect(priority.errors.map((e) => e.key)).to.deep.equal(['import.errors.priority']);
    const extra = await buildPreview(
      csv('subject,batchDescription,targetSystem,expectedRecordCount\nA subject,Batch,SAP,1,surplus\n'),
    );
    expect(extra.errors).to.deep.equal([
      { row: 2, column: '', key: 'import.errors.extra_cells', params: { count: 5, columns: 4 } },
    ]);
  });

  it('refuses whole files with a reason', async () => {
    expect((await refusal('')).messageKey).to.equal('import.errors.empty');
    expect((await refusal(' \n\n')).messageKey).to.equal('import.errors.empty');
    expect(
      (await refusal(Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a]))).messageKey,
    ).to.equal('import.errors.not_csv');
    expect((await refusal(Buffer.from('subject\nperch\xe9\n', 'latin1'))).messageKey).to.equal(
      'import.errors.not_utf8',
    );
    const missing = await refusal('subject,notes\nx,y\n');
    expect(missing.messageKey).to.equal('import.errors.missing_columns');
    expect(missing.params).to.deep.equal({ names: 'batchDescription, targetSystem, expectedRecordCount' });
    expect(missing.fields.map((f) => f.path)).to.deep.equal(['file']);
    expect(
      (await refusal('subject,batchDescription,targetSystem,expectedRecordCount\n"open,x,y,1\n')).messageKey,
    ).to.equal('import.errors.unreadable');
    expect((await refusal(Buffer.alloc(2 * 1024 * 1024 + 1, 'a'))).messageKey).to.equal(
      'import.errors.too_large',
    );
  });

  it('writes a template that it reads back as one valid row', async () => {
    const example = {
      subject: 'Week 12',
      description: 'Scans; "shared" folder',
      priority: 'normal',
      batchDescription: 'Enter them',
      targetSystem: 'SAP',
      expectedRecordCount: '1200',
      tags: 'a, b',
    };
    for (const delimiter of [',', ';'] as const) {
      const preview = await buildPreview(csv(csvTemplate(delimiter, example)));
      expect(preview.delimiter).to.equal(delimiter);
      expect(preview.validCount).to.equal(1);
      expect(preview.rows[0]?.input).to.deep.include({
        description: 'Scans; "shared" folder',
        tags: ['a', 'b'],
      });
    }
  });
});
