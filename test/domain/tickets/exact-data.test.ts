import { expect } from 'chai';
import { validateRow } from '../../../server/domain/tickets/csv-import.js';
import { currencyCodes } from '../../../server/domain/tickets/currencies.js';
import {
  formatInputNumber,
  parseCsvCount,
  parseLocaleNumber,
  readFormFields,
} from '../../../server/domain/tickets/numbers.js';
import { fieldSchemas, ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { checkVat } from '../../../server/domain/tickets/vat.js';
import { fieldsFromZod } from '../../../server/errors/normalize.js';
import { t } from '../../../server/i18n/i18n.js';

const invoice = (over: Record<string, unknown> = {}) => ({
  supplierName: 'Rossi Trasporti',
  supplierVat: 'IT01234567897',
  invoiceNumber: '2026/118',
  issueDate: '2026-03-02',
  dueDate: '2026-04-01',
  amount: 1250.4,
  currency: 'EUR',
  ...over,
});
const dataEntry = (over: Record<string, unknown> = {}) => ({
  batchDescription: '412 notes',
  targetSystem: 'SAP',
  expectedRecordCount: 412,
  ...over,
});

/** The field errors of a refused value: path and translation key. */
function refusal(schema: keyof typeof fieldSchemas, fields: Record<string, unknown>) {
  const result = fieldSchemas[schema].safeParse(fields);
  expect(result.success, JSON.stringify(fields)).to.equal(false);
  return result.success ? [] : fieldsFromZod(result.error);
}

describe('exact numbers', () => {
  it('refuses an invoice without fields (absent or null) as a validation error, never a crash (found by the OpenAPI-driven test)', () => {
    for (const fields of [undefined, null]) {
      const result = ticketInputSchema.safeParse({
        type: 'invoice',
        subject: 'Fattura 7',
        priority: 'low',
        fields,
      });
      expect(result.success).to.equal(false);
      expect(result.error?.issues.map((i) => i.path.join('.'))).to.deep.equal(['fields']);
    }
  });

  it('never coerces a required number: null, "", blanks, booleans, lists and hex are refused naming the field', () => {
    for (const bad of [null, '', '   ', true, false, [7], '0x10', '12', {}, 'lots']) {
      const amount = refusal('invoice', invoice({ amount: bad }));
      expect(
        amount.map((f) => f.path),
        JSON.stringify(bad),
      ).to.deep.equal(['amount']);
      expect(amount[0]?.key).to.equal('exact.number');
      for (const name of ['expectedRecordCount', 'recordsCompleted', 'errorCount']) {
        const errors = refusal('data_entry', dataEntry({ [name]: bad }));
        expect(
          errors.map((f) => f.path),
          `${name}=${JSON.stringify(bad)}`,
        ).to.deep.equal([name]);
      }
    }
    expect(refusal('invoice', invoice({ amount: undefined }))[0]?.key).to.equal('validation.required');
    expect(fieldSchemas.invoice.parse(invoice({ amount: 0 })).amount).to.equal(0);
    expect(fieldSchemas.data_entry.parse(dataEntry()).recordsCompleted).to.equal(0);
  });

  it("reads form numbers in the reader's locale and refuses anything else", () => {
    const cases: Array<[string, 'en' | 'it' | 'da', number | null]> = [
      ['1.250,40', 'it', 1250.4],
      ['1.250,40', 'da', 1250.4],
      ['1250,40', 'it', 1250.4],
      ['1.234.567', 'da', 1234567],
      [' 12 ', 'it', 12],
      ['1,250.40', 'en', 1250.4],
      ['1250.40', 'en', 1250.4],
      ['0.5', 'en', 0.5],
      ['-3', 'en', -3],
      ['1,250.40', 'it', null],
      ['1250.40', 'it', null],
      ['1.250,40', 'en', null],
      ['12,5', 'en', null],
      ['1.25', 'da', null],
      ['1,2,3', 'en', null],
      ['0x10', 'en', null],
      ['1e3', 'en', null],
      ['', 'en', null],
      ['   ', 'it', null],
      ['12 apples', 'en', null],
      ['Infinity', 'en', null],
      ['.5', 'en', null],
    ];
    for (const [text, locale, expected] of cases)
      expect(parseLocaleNumber(text, locale), `${text} (${locale})`).to.equal(expected);
  });

  it('shows numbers back in the same format, so that they read back to the same value', () => {
    expect(formatInputNumber(1250.4, 'it')).to.equal('1250,4');
    expect(formatInputNumber(12500, 'it')).to.equal('12.500');
    expect(formatInputNumber(1250.4, 'da', 2)).to.equal('1.250,40');
    expect(formatInputNumber(1250.4, 'en', 2)).to.equal('1,250.40');
    expect(formatInputNumber(1234567, 'en')).to.equal('1,234,567');
    expect(formatInputNumber(0.2, 'it')).to.equal('0,2');
    for (const value of [0, 7, 1250.4, 99.99, 1234567.125, 100_000_000, 1e12])
      for (const locale of ['en', 'it', 'da'] as const)
        expect(parseLocaleNumber(formatInputNumber(value, locale), locale)).to.equal(value);
  });

  it('turns form text into numbers for the numeric fields only; garbage stays text for the schema to refuse', () => {
    const read = readFormFields(
      'invoice',
      { amount: '1.250,40', invoiceNumber: '0012', supplierName: '7' },
      'it',
    );
    expect(read).to.deep.equal({ amount: 1250.4, invoiceNumber: '0012', supplierName: '7' });
    expect(readFormFields('invoice', { amount: '1,250.40' }, 'it')).to.deep.equal({ amount: '1,250.40' });
    expect(readFormFields('data_entry', { expectedRecordCount: '  ' }, 'da')).to.deep.equal({});
  });

  it('reads CSV counts as whole numbers, grouped or not, and refuses the rest', () => {
    for (const [cell, expected] of [
      ['1200', 1200],
      ['1.200', 1200],
      ['1,200', 1200],
      ['1 200', 1200],
      ["1'200", 1200],
      ['1.200.000', 1_200_000],
      ['0x10', null],
      ['12,5', null],
      ['1.200,000', null],
      ['true', null],
      ['', null],
    ] as Array<[string, number | null]>)
      expect(parseCsvCount(cell), cell).to.equal(expected);
    expect(
      validateRow(2, {
        subject: 'Bolle',
        batchDescription: 'Bolle 13',
        targetSystem: 'SAP',
        expectedRecordCount: '0x10',
      }).errors,
    ).to.deep.equal([
      { row: 2, column: 'expectedRecordCount', key: 'import.errors.whole_number', params: {} },
    ]);
    expect(
      validateRow(2, {
        subject: 'Bolle',
        batchDescription: 'Bolle 13',
        targetSystem: 'SAP',
        expectedRecordCount: '1.200',
      }).input?.fields,
    ).to.include({ expectedRecordCount: 1200 });
  });
});

describe('VAT numbers per country', () => {
  it('accepts valid numbers after normalising them', () => {
    expect(checkVat('it 0123 4567 897')).to.deep.equal({ ok: true, vat: 'IT01234567897' });
    expect(checkVat('DK-1234.5674')).to.deep.equal({ ok: true, vat: 'DK12345674' });
    expect(checkVat('DK 10 15 08 17')).to.deep.equal({ ok: true, vat: 'DK10150817' });
    for (const vat of [
      'DE123456789',
      'FRXX123456789',
      'ATU12345678',
      'NL123456789B01',
      'ES B12345678',
      'BE0123456789',
      'SE123456789001',
      'PL1234567890',
      'IE1234567T',
      'IE1234567TW',
      'CY12345678L',
    ])
      expect(checkVat(vat).ok, vat).to.equal(true);
    expect(checkVat('GR123456789')).to.deep.equal({ ok: true, vat: 'EL123456789' });
  });

  it('says what is wrong: length, check digit, format, prefix or country', () => {
    expect(checkVat('IT123')).to.include({ ok: false, key: 'exact.vat.it_digits' });
    expect(checkVat('IT01234567890')).to.include({ ok: false, key: 'exact.vat.it_check' });
    expect(checkVat('IT0123456789A')).to.include({ ok: false, key: 'exact.vat.it_digits' });
    expect(checkVat('DK1234567')).to.include({ ok: false, key: 'exact.vat.dk_digits' });
    expect(checkVat('DK12345678')).to.include({ ok: false, key: 'exact.vat.dk_check' });
    expect(checkVat('DE12345678')).to.deep.include({
      ok: false,
      key: 'exact.vat.format',
      params: { country: 'DE', shape: '9' },
    });
    expect(checkVat('NL123456789')).to.include({ ok: false, key: 'exact.vat.format' });
    expect(checkVat('01234567897')).to.include({ ok: false, key: 'exact.vat.prefix' });
    expect(checkVat('US123456789')).to.deep.include({
      ok: false,
      key: 'exact.vat.country',
      params: { country: 'US' },
    });
  });

  it('refuses IT123 through the ticket schema with a message in en, it and da', () => {
    const errors = refusal('invoice', invoice({ supplierVat: 'IT123' }));
    expect(errors).to.deep.equal([
      { path: 'supplierVat', key: 'exact.vat.it_digits', params: { country: 'IT', shape: '11' } },
    ]);
    expect(t('en', errors[0]!.key, errors[0]!.params)).to.equal(
      'Italian VAT numbers have 11 digits after IT.',
    );
    expect(t('it', errors[0]!.key, errors[0]!.params)).to.equal(
      'Le partite IVA italiane hanno 11 cifre dopo IT.',
    );
    expect(t('da', errors[0]!.key, errors[0]!.params)).to.equal(
      'Italienske momsnumre har 11 cifre efter IT.',
    );
    const format = refusal('invoice', invoice({ supplierVat: 'DE1234' }))[0]!;
    expect(t('en', format.key, format.params)).to.equal(
      'This is not the format of a DE VAT number (9 characters after DE).',
    );
  });
});

describe('currencies', () => {
  it('are ISO 4217 codes: upper-cased, anything else refused', () => {
    expect(currencyCodes).to.include.members(['EUR', 'DKK', 'USD', 'GBP', 'SEK']);
    expect(currencyCodes).to.not.include.members(['XXX', 'XTS', 'XAU']);
    expect(fieldSchemas.invoice.parse(invoice({ currency: ' dkk ' })).currency).to.equal('DKK');
    for (const bad of ['EURO', 'ABC', 'XXX', '', 978, null])
      expect(
        refusal('invoice', invoice({ currency: bad })).map((f) => f.path),
        String(bad),
      ).to.deep.equal(['currency']);
  });

  it('a whole ticket: API-shaped input with strings for numbers is refused', () => {
    const result = ticketInputSchema.safeParse({
      type: 'data_entry',
      subject: 'Bolle',
      fields: dataEntry({ expectedRecordCount: '412' }),
    });
    expect(result.success).to.equal(false);
    if (!result.success)
      expect(fieldsFromZod(result.error).map((f) => f.path)).to.deep.equal(['fields.expectedRecordCount']);
  });
});
