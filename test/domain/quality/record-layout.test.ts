import { expect } from 'chai';
import { checkIban, ibanCheckDigits, normalizeIban } from '../../../server/domain/quality/iban.js';
import {
  fieldsByClass,
  recordLayoutSchema,
  type RecordLayout,
} from '../../../server/domain/quality/record-layout.js';
import {
  parseKeyedDate,
  validateFieldValue,
  validateRecord,
} from '../../../server/domain/quality/validate-record.js';
import { t } from '../../../server/i18n/i18n.js';

/** A valid IBAN made by the test: the check digits computed for a BBAN of the right length. */
const makeIban = (country: string, bban: string) => `${country}${ibanCheckDigits(country, bban)}${bban}`;
const itIban = makeIban('IT', 'X0542811101000000123456'); // IT: 27 characters
const dkIban = makeIban('DK', '00400440116243'); // DK: 18 characters

const invoiceLayout = (): RecordLayout =>
  recordLayoutSchema.parse({
    name: 'Supplier invoices',
    aql: { critical: 0.65, major: 1.0, minor: 2.5 },
    accuracyTarget: 0.995,
    fields: [
      { key: 'supplier_vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
      { key: 'iban', label: 'IBAN', type: 'iban', required: true, class: 'critical' },
      {
        key: 'amount',
        label: 'Amount',
        type: 'number',
        decimals: 2,
        min: 0,
        required: true,
        class: 'critical',
      },
      { key: 'issue_date', label: 'Issue date', type: 'date', required: true },
      { key: 'doc_type', label: 'Document type', type: 'code', codes: ['INV', 'CN'], required: true },
      { key: 'note', label: 'Note', type: 'text', maxLength: 20, class: 'minor' },
    ],
  });

describe('record layouts and field validation', () => {
  it('IBAN: registry length and ISO 7064 mod 97, with check digits computed for a BBAN', () => {
    expect(itIban).to.have.length(27);
    expect(checkIban(itIban)).to.deep.equal({ ok: true, iban: itIban });
    expect(
      checkIban(` ${dkIban.slice(0, 4)} ${dkIban.slice(4, 8)} ${dkIban.slice(8)} `.toLowerCase()),
    ).to.deep.equal({
      ok: true,
      iban: dkIban,
    });
    // One digit changed, two digits swapped: the check fails.
    const typo = `${itIban.slice(0, 10)}${itIban[10] === '9' ? '8' : '9'}${itIban.slice(11)}`;
    expect(checkIban(typo)).to.include({ ok: false, key: 'quality.iban.check' });
    const swapped = `${dkIban.slice(0, 6)}${dkIban[7]}${dkIban[6]}${dkIban.slice(8)}`;
    if (swapped !== dkIban) expect(checkIban(swapped)).to.include({ ok: false, key: 'quality.iban.check' });
    expect(checkIban(`${dkIban}0`)).to.deep.include({
      ok: false,
      key: 'quality.iban.length',
      params: { country: 'DK', length: 18 },
    });
    expect(checkIban('12345')).to.include({ ok: false, key: 'quality.iban.format' });
    // A country outside the table: the general length and mod 97 still apply.
    expect(checkIban(makeIban('ZZ', '1234567890123')).ok).to.equal(true);
    expect(normalizeIban('it60-x054 2811')).to.equal('IT60X0542811');
  });

  it('a layout is validated: field keys, codes, AQLs from the tables, unique keys; defaults filled in', () => {
    const layout = invoiceLayout();
    expect(layout.inspectionLevel).to.equal('II');
    expect(layout.doubleKeyCritical).to.equal(false);
    expect(layout.fields.find((f) => f.key === 'issue_date')).to.include({ class: 'major', required: true });
    expect(fieldsByClass(layout).critical.map((f) => f.key)).to.deep.equal([
      'supplier_vat',
      'iban',
      'amount',
    ]);
    const bad = recordLayoutSchema.safeParse({
      name: 'x',
      aql: { critical: 0.5, major: 1, minor: 2.5 },
      fields: [
        { key: 'Amount', label: 'A', type: 'number' },
        { key: 'code', label: 'C', type: 'code', codes: ['A', 'a'] },
        { key: 'code', label: 'D', type: 'text' },
        { key: 'n', label: 'N', type: 'number', min: 5, max: 1 },
      ],
    });
    expect(bad.success).to.equal(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).to.include.members([
      'aql.critical: quality.layout.aql',
      'fields.0.key: quality.layout.field_key',
      'fields.1.codes: quality.layout.duplicate_code',
      'fields.3.max: quality.layout.min_max',
    ]);
    expect(messages.some((m) => m.endsWith('quality.layout.duplicate_key'))).to.equal(true);
  });

  it('validates each field type as keyed, in the keyer locale, and normalises it', () => {
    const layout = invoiceLayout();
    const field = (key: string) => layout.fields.find((f) => f.key === key)!;
    expect(validateFieldValue(field('supplier_vat'), ' it 01234567897 ', 'it')).to.deep.equal({
      ok: true,
      value: 'IT01234567897',
    });
    expect(validateFieldValue(field('supplier_vat'), 'DK12345675', 'da')).to.include({
      ok: false,
      key: 'exact.vat.dk_check',
    });
    expect(validateFieldValue(field('amount'), '1.250,40', 'it')).to.deep.equal({ ok: true, value: 1250.4 });
    expect(validateFieldValue(field('amount'), '1,250.40', 'en')).to.deep.equal({ ok: true, value: 1250.4 });
    expect(validateFieldValue(field('amount'), '12,345', 'it')).to.deep.include({
      ok: false,
      key: 'quality.field.decimals',
      params: { decimals: 2 },
    });
    expect(validateFieldValue(field('amount'), '-1', 'en')).to.include({
      ok: false,
      key: 'validation.too_small',
    });
    expect(validateFieldValue(field('amount'), '12abc', 'en')).to.include({ ok: false, key: 'exact.number' });
    expect(validateFieldValue(field('issue_date'), '29/02/2024', 'it')).to.deep.equal({
      ok: true,
      value: '2024-02-29',
    });
    expect(validateFieldValue(field('issue_date'), '29.02.2023', 'da')).to.include({
      ok: false,
      key: 'quality.field.date',
    });
    expect(validateFieldValue(field('doc_type'), 'cn', 'en')).to.deep.equal({ ok: true, value: 'CN' });
    expect(validateFieldValue(field('doc_type'), 'XX', 'en')).to.include({
      ok: false,
      key: 'validation.invalid_choice',
    });
    expect(validateFieldValue(field('note'), '', 'en')).to.deep.equal({ ok: true, value: null });
    expect(validateFieldValue(field('note'), 'x'.repeat(21), 'en')).to.deep.include({
      ok: false,
      key: 'validation.too_long',
      params: { max: 20 },
    });
    expect(validateFieldValue(field('iban'), '  ', 'en')).to.include({
      ok: false,
      key: 'validation.required',
    });
    expect(parseKeyedDate('2026-13-01')).to.equal(null);
    expect(parseKeyedDate('1/2/2026')).to.equal('2026-02-01');
    expect(parseKeyedDate('01/02-2026')).to.equal(null);
  });

  it('validates a whole record and names every refusal in layout order, unknown keys last', () => {
    const layout = invoiceLayout();
    const good = validateRecord(
      layout,
      { supplier_vat: 'DK12345674', iban: dkIban, amount: '99,5', issue_date: '2026-03-02', doc_type: 'INV' },
      'da',
    );
    expect(good.ok).to.equal(true);
    expect(good.values).to.deep.equal({
      supplier_vat: 'DK12345674',
      iban: dkIban,
      amount: 99.5,
      issue_date: '2026-03-02',
      doc_type: 'INV',
      note: null,
    });
    const bad = validateRecord(
      layout,
      { supplier_vat: 'IT01234567890', amount: '1', doc_type: 'INV', extra: 'x' },
      'en',
    );
    expect(bad.ok).to.equal(false);
    expect(bad.errors.map((e) => `${e.field}:${e.key}`)).to.deep.equal([
      'supplier_vat:exact.vat.it_check',
      'iban:validation.required',
      'issue_date:validation.required',
      'extra:quality.field.unknown',
    ]);
  });

  it('every refusal reads in English, Italian and Danish', () => {
    for (const locale of ['en', 'it', 'da'] as const) {
      expect(t(locale, 'quality.iban.length', { country: 'DK', length: 18 })).to.contain('18');
      expect(t(locale, 'quality.field.decimals', { decimals: 2 })).to.contain('2');
      expect(t(locale, 'quality.verdict.at_risk')).to.not.equal('quality.verdict.at_risk');
    }
  });
});
