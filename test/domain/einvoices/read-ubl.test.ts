import { expect } from 'chai';
import { parseXml } from '../../../server/domain/einvoices/parse-xml.js';
import { readUbl } from '../../../server/domain/einvoices/read-ubl.js';
import { ubl } from './builders.js';

const read = (xml: string) => readUbl(parseXml(Buffer.from(xml)).document);

describe('e-invoices: reading UBL 2.1 (Peppol BIS 3, OIOUBL 2.1)', () => {
  it('reads a Peppol BIS 3 invoice: BT-1, 2, 5, 9, 13, 27, 31, 44, 48, 112, 115, lines, VAT breakdown', () => {
    const { format, invoices, findings } = read(ubl({ orderRef: 'PO-889' }));
    expect(format).to.equal('peppol-bis3');
    expect(findings).to.deep.equal([]);
    const [inv] = invoices;
    expect(inv).to.deep.include({
      kind: 'invoice',
      documentType: '380',
      number: 'INV-2026-0042',
      issueDate: '2026-03-02',
      currency: 'EUR',
      total: '1250.00',
      totalSource: 'document',
      amountDue: '1250.00',
      dueDates: [{ date: '2026-04-01' }],
      poNumbers: ['PO-889'],
      corrects: [],
    });
    expect(inv!.supplier.name).to.equal('Nordisk Rådgivning ApS'); // BT-27, not the trading name
    expect(inv!.supplier.vat).to.equal('DK12345674');
    expect(inv!.supplier.otherIds).to.deep.equal([{ scheme: '0184', id: '12345674' }]);
    expect(inv!.buyer).to.deep.include({ name: 'Aarhus Kommune', vat: 'DK87654311', country: 'DK' });
    expect(inv!.lines).to.have.length(1);
    expect(inv!.lines[0]).to.deep.include({
      number: '1',
      description: 'Consulting',
      quantity: '10',
      unitPrice: '100.00',
      total: '1000.00',
      vatRate: '25',
    });
    // Only the breakdown in the document currency (not the SEK tax total).
    expect(inv!.vatSummary.map((s) => [s.taxable, s.tax, s.rate, s.category])).to.deep.equal([
      ['1000.00', '250.00', '25', 'S'],
    ]);
    expect(inv!.paymentTerms).to.deep.equal({
      means: ['30'],
      accounts: ['DK5000400440116243'],
      note: 'Netto 30 dage',
    });
    expect(inv!.fields).to.deep.equal({
      supplierName: 'Nordisk Rådgivning ApS',
      supplierVat: 'DK12345674',
      invoiceNumber: 'INV-2026-0042',
      issueDate: '2026-03-02',
      dueDate: '2026-04-01',
      amount: 1250,
      currency: 'EUR',
      poNumber: 'PO-889',
    });
  });

  it('reads a Peppol credit note: due date under PaymentMeans, credited quantities, the invoice it corrects', () => {
    const { invoices } = read(
      ubl({ root: 'CreditNote', id: 'CN-7', corrects: 'INV-2026-0042', dueDate: '2026-03-20' }),
    );
    const [cn] = invoices;
    expect(cn).to.deep.include({
      kind: 'credit_note',
      documentType: '381',
      number: 'CN-7',
      corrects: ['INV-2026-0042'],
    });
    expect(cn!.dueDates).to.deep.equal([{ date: '2026-03-20' }]);
    expect(cn!.lines[0]!.quantity).to.equal('10');
  });

  it('reads OIOUBL 2.1: PartyName, DK:SE and DK:CVR schemes, due date under PaymentMeans, line VAT under TaxTotal', () => {
    const { format, invoices, findings } = read(ubl({ flavour: 'oioubl', id: '2026-118', currency: 'DKK' }));
    expect(format).to.equal('oioubl');
    expect(findings).to.deep.equal([]);
    const [inv] = invoices;
    expect(inv!.supplier.vat).to.equal('DK12345674');
    expect(inv!.supplier.otherIds).to.deep.include({ scheme: 'DK:CVR', id: 'DK12345674' });
    expect(inv!.dueDates).to.deep.equal([{ date: '2026-04-01' }]);
    expect(inv!.lines[0]!.vatRate).to.equal('25');
    expect(inv!.fields).to.deep.include({
      supplierVat: 'DK12345674',
      currency: 'DKK',
      dueDate: '2026-04-01',
      amount: 1250,
    });
  });

  it('takes a bare CVR number (no DK prefix) under a Danish scheme as a DK VAT number, and PartyName when there is no legal name', () => {
    const xml = ubl({ flavour: 'oioubl' })
      .replace(
        /<cbc:CompanyID schemeID="DK:SE">DK12345674<\/cbc:CompanyID>/,
        '<cbc:CompanyID schemeID="DK:SE">12345674</cbc:CompanyID>',
      )
      .replace(/<cbc:RegistrationName>Nordisk Rådgivning ApS<\/cbc:RegistrationName>/, '');
    const { invoices } = read(xml);
    expect(invoices[0]!.supplier).to.deep.include({ vat: 'DK12345674', name: 'Nordisk Rådgivning ApS' });
  });

  it('totals from the VAT breakdown when BT-112 is absent; reports what is missing', () => {
    const { invoices, findings } = read(
      ubl({ taxInclusive: null, payable: '1250.00' }).replace(/<cbc:ID>INV-2026-0042<\/cbc:ID>/, ''),
    );
    expect(invoices[0]!.total).to.equal('1250.00');
    expect(invoices[0]!.totalSource).to.equal('vat_summary');
    expect(findings.map((f) => [f.rule, f.params.field])).to.deep.equal([['ubl.missing', 'cbc:ID (BT-1)']]);
  });

  it('refuses a root that is not UBL (wrong namespace) with a finding', () => {
    const { invoices, findings } = read('<Invoice xmlns="urn:example:not-ubl"><ID>1</ID></Invoice>');
    expect(invoices).to.deep.equal([]);
    expect(findings[0]).to.deep.include({
      severity: 'error',
      rule: 'ubl.root',
      messageKey: 'einvoices.ubl.root',
    });
  });
});
