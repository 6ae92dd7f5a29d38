import { expect } from 'chai';
import { findingMessage } from '../../../server/domain/einvoices/finding-message.js';

const da = { locale: 'da' as const, timeZone: 'Europe/Copenhagen' };
const en = { locale: 'en' as const, timeZone: 'Europe/Rome' };

/** The one place a finding's message is written (issue #17): values in the reader's format. */
describe('e-invoices: finding messages for the reader', () => {
  it("shows the BPO checks' amounts and dates in the reader's format", () => {
    const total = {
      messageKey: 'einvoices.bpo.total',
      params: { total: '1234.5', computed: '122.00', currency: 'EUR' },
    };
    expect(findingMessage(en, total)).to.equal(
      'The total with VAT is 1,234.50 EUR, but the VAT summary adds up to 122.00 EUR.',
    );
    expect(findingMessage(da, total)).to.include('1.234,50 EUR').and.include('122,00 EUR');
    const due = {
      messageKey: 'einvoices.bpo.due_before_issue',
      params: { due: '2026-01-31', issued: '2026-03-31' },
    };
    expect(findingMessage(en, due)).to.equal(
      'The due date 31 Jan 2026 is before the issue date 31 Mar 2026.',
    );
    expect(findingMessage(da, due)).to.include('31. jan. 2026').and.include('31. mar. 2026');
    const fromSummary = {
      messageKey: 'einvoices.fatturapa.total_from_summary',
      params: { total: '10000.00', invoice: 1 },
    };
    expect(findingMessage(en, fromSummary)).to.include('10,000.00');
  });

  it("shows an instant in the reader's time zone", () => {
    const at = {
      messageKey: 'einvoices.bpo.due_before_issue',
      params: { due: '2026-01-31T23:30:00.000Z', issued: '2026-03-31' },
    };
    // 23:30 UTC is already 1 February in Copenhagen.
    expect(findingMessage(da, at)).to.match(/^\D*1\. feb\. 2026/);
    expect(findingMessage({ locale: 'en', timeZone: 'America/New_York' }, at)).to.match(/31 Jan 2026, 18:30/);
  });

  it('shows sizes as file sizes, limits as numbers, and quotes what the file says as it is', () => {
    const big = { messageKey: 'einvoices.zip.entry_too_large', params: { name: 'a.xml', max: 16777216 } };
    expect(findingMessage(da, big)).to.equal('a.xml fylder mere end 16 MB udpakket: den blev ikke læst.');
    expect(findingMessage(en, big)).to.equal('a.xml unpacks to more than 16 MB: it was not read.');
    const xml = { messageKey: 'einvoices.xml.too_large', params: { size: 11_272_192, max: 10_485_760 } };
    expect(findingMessage(da, xml)).to.equal('XML-filen er på 10,8 MB, over grænsen på 10 MB.');
    const many = {
      messageKey: 'einvoices.zip.too_many_entries',
      params: { name: 'a.zip', count: 1500, max: 1000 },
    };
    expect(findingMessage(en, many)).to.equal(
      'The ZIP file a.zip holds 1,500 entries, more than the 1,000 read at once: it was not opened.',
    );
    expect(findingMessage(da, many)).to.include('1.500 elementer').and.include('de 1.000,');
    // The wrong value of the file is quoted, not read as an amount.
    const wrong = { messageKey: 'einvoices.not_decimal', params: { field: 'Importo', value: '1234.5' } };
    expect(findingMessage(da, wrong)).to.include('"1234.5"');
    // A count chooses the plural form and stays a number.
    const more = { messageKey: 'einvoicerules.more', params: { engine: 'EN 16931', count: 1 } };
    expect(findingMessage(en, more)).to.equal('1 more finding of EN 16931 is not listed.');
  });
});
