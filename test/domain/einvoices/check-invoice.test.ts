import { expect } from 'chai';
import { checkInvoice } from '../../../server/domain/einvoices/check-invoice.js';
import { parseXml } from '../../../server/domain/einvoices/parse-xml.js';
import { readFatturaPA } from '../../../server/domain/einvoices/read-fatturapa.js';
import { readUbl } from '../../../server/domain/einvoices/read-ubl.js';
import type { EInvoice } from '../../../server/domain/einvoices/types.js';
import { t } from '../../../server/i18n/i18n.js';
import { fatturaPA, type FpBody, ubl, type UblOptions } from './builders.js';

const bianchi = { vatNumbers: ['IT 123 456 789 03'], name: 'Bianchi Logistica' };
const aarhus = { vatNumbers: ['DK87654311'], name: 'Aarhus Kommune' };

const fp = (body: Partial<FpBody> = {}, supplierCode = '01234567897'): EInvoice =>
  readFatturaPA(
    parseXml(
      Buffer.from(
        fatturaPA({
          supplier: { country: 'IT', code: supplierCode, name: 'Rossi Trasporti' },
          bodies: [{ number: '1', ...body }],
        }),
      ),
    ).document,
  ).invoices[0]!;
const peppol = (o: UblOptions = {}): EInvoice => readUbl(parseXml(Buffer.from(ubl(o))).document).invoices[0]!;
const rules = (findings: { severity: string; rule: string }[]) =>
  findings.map((f) => `${f.severity}:${f.rule}`);

describe('e-invoices: the BPO checks', () => {
  it('finds nothing wrong in a consistent invoice sent for the right client', () => {
    expect(checkInvoice({ format: 'fatturapa', invoice: fp(), client: bianchi })).to.deep.equal([]);
    expect(checkInvoice({ format: 'peppol-bis3', invoice: peppol(), client: aarhus })).to.deep.equal([]);
  });

  it('accepts differences up to 0.01 and flags lines that do not add up to the VAT summary', () => {
    const lines = [
      { description: 'A', unitPrice: '33.33', total: '33.33' },
      { description: 'B', unitPrice: '33.33', total: '33.33' },
      { description: 'C', unitPrice: '33.33', total: '33.33' },
    ];
    const close = fp({ lines, summary: [{ rate: '22.00', taxable: '100.00', tax: '22.00' }] });
    expect(checkInvoice({ format: 'fatturapa', invoice: close, client: bianchi })).to.deep.equal([]);
    const off = fp({
      lines: lines.slice(0, 2),
      summary: [{ rate: '22.00', taxable: '100.00', tax: '22.00' }],
    });
    const findings = checkInvoice({ format: 'fatturapa', invoice: off, client: bianchi });
    expect(rules(findings)).to.deep.equal(['error:bpo.lines_vs_summary']);
    expect(findings[0]!.params).to.deep.equal({ lines: '66.66', taxable: '100.00', currency: 'EUR' });
    expect(t('en', findings[0]!.messageKey, findings[0]!.params)).to.equal(
      'The lines add up to 66.66 EUR before VAT, but the VAT summary says 100.00 EUR.',
    );
  });

  it('flags VAT not matching its rate, and a total not matching the summary (error for UBL, warning for FatturaPA)', () => {
    const tax = fp({ summary: [{ rate: '22.00', taxable: '100.00', tax: '20.00' }], total: '120.00' });
    const findings = checkInvoice({ format: 'fatturapa', invoice: tax, client: bianchi });
    expect(rules(findings)).to.deep.equal(['error:bpo.summary_tax']);
    expect(findings[0]!.params).to.include({ expected: '22.00', tax: '20.00' });
    // Stamp duty (bollo, 2.00) charged on: the total includes it.
    const bollo = readFatturaPA(
      parseXml(
        Buffer.from(
          fatturaPA({ bodies: [{ number: 'B', total: '124.00' }] }).replace(
            '<ImportoTotaleDocumento>',
            '<DatiBollo><BolloVirtuale>SI</BolloVirtuale><ImportoBollo>2.00</ImportoBollo></DatiBollo><ImportoTotaleDocumento>',
          ),
        ),
      ).document,
    ).invoices[0]!;
    expect(bollo.stampDuty).to.equal('2.00');
    expect(checkInvoice({ format: 'fatturapa', invoice: bollo, client: bianchi })).to.deep.equal([]);
    const fpTotal = checkInvoice({ format: 'fatturapa', invoice: fp({ total: '124.00' }), client: bianchi });
    expect(rules(fpTotal)).to.deep.equal(['warning:bpo.total']);
    const ublTotal = checkInvoice({
      format: 'peppol-bis3',
      invoice: peppol({ taxInclusive: '1300.00' }),
      client: aarhus,
    });
    expect(rules(ublTotal)).to.deep.equal(['error:bpo.total']);
    expect(ublTotal[0]!.params).to.deep.equal({ total: '1300.00', computed: '1250.00', currency: 'EUR' });
  });

  it('flags a due date before the issue date', () => {
    const invoice = fp({ date: '2026-03-10', due: [{ date: '2026-03-09', amount: '122.00' }] });
    const findings = checkInvoice({ format: 'fatturapa', invoice, client: bianchi });
    expect(rules(findings)).to.deep.equal(['error:bpo.due_before_issue']);
    expect(findings[0]!.params).to.deep.equal({ due: '2026-03-09', issued: '2026-03-10' });
  });

  it("flags a supplier VAT number that is not valid for its country, with the VAT check's own message", () => {
    const findings = checkInvoice({ format: 'fatturapa', invoice: fp({}, '01234567890'), client: bianchi });
    expect(rules(findings)).to.deep.equal(['error:bpo.supplier_vat']);
    expect(findings[0]!.messageKey).to.equal('exact.vat.it_check');
    const dk = checkInvoice({
      format: 'peppol-bis3',
      invoice: peppol({ supplier: { name: 'X ApS', vat: 'DK12345675', country: 'DK' } }),
      client: aarhus,
    });
    expect(dk.map((f) => f.messageKey)).to.deep.equal(['exact.vat.dk_check']);
  });

  it('flags an invoice addressed to another client, and says when the client has no VAT number to compare', () => {
    const wrong = checkInvoice({ format: 'peppol-bis3', invoice: peppol(), client: bianchi });
    expect(rules(wrong)).to.deep.equal(['error:bpo.buyer']);
    expect(wrong[0]!.params).to.deep.equal({
      buyer: 'Aarhus Kommune',
      vat: 'DK87654311',
      client: 'Bianchi Logistica',
      clientVat: 'IT12345678903',
    });
    const unchecked = checkInvoice({ format: 'peppol-bis3', invoice: peppol(), client: { vatNumbers: [] } });
    expect(rules(unchecked)).to.deep.equal(['info:bpo.buyer_unchecked']);
  });

  it('knows the buyer by any identifier the file gives: codice fiscale, CVR (DK:CVR, 0184), EndpointID', () => {
    const readFp = (xml: string) => readFatturaPA(parseXml(Buffer.from(xml)).document).invoices[0]!;
    const readUblText = (xml: string) => readUbl(parseXml(Buffer.from(xml)).document).invoices[0]!;
    // FatturaPA: a buyer with only a codice fiscale (an Italian company's is its partita IVA).
    const fpXml = fatturaPA({ bodies: [{ number: '1' }] });
    const onlyCf = fpXml.replace(
      /(<CessionarioCommittente><DatiAnagrafici>)<IdFiscaleIVA>.*?<\/IdFiscaleIVA>/,
      '$1<CodiceFiscale>12345678903</CodiceFiscale>',
    );
    expect(onlyCf).to.not.equal(fpXml);
    const cfInvoice = readFp(onlyCf);
    expect(cfInvoice.buyer.vat).to.equal(undefined);
    expect(rules(checkInvoice({ format: 'fatturapa', invoice: cfInvoice, client: bianchi }))).to.deep.equal(
      [],
    );
    const other = checkInvoice({
      format: 'fatturapa',
      invoice: cfInvoice,
      client: { vatNumbers: ['IT01234567897'] },
    });
    expect(rules(other)).to.deep.equal(['error:bpo.buyer']);
    expect(other[0]!.params).to.include({ vat: '12345678903' });
    // OIOUBL: EndpointID and PartyLegalEntity CompanyID under DK:CVR, PartyTaxScheme under DK:SE.
    const oio = peppol({ flavour: 'oioubl' });
    expect(rules(checkInvoice({ format: 'oioubl', invoice: oio, client: aarhus }))).to.deep.equal([]);
    expect(rules(checkInvoice({ format: 'oioubl', invoice: oio, client: bianchi }))).to.deep.equal([
      'error:bpo.buyer',
    ]);
    // Peppol: only a CVR number without its DK prefix (EndpointID 0184), no VAT tax scheme.
    const ublXml = ubl({ buyer: { name: 'Aarhus Kommune', vat: 'DK87654311', country: 'DK' } });
    const customer = /<cac:AccountingCustomerParty>[\s\S]*?<\/cac:AccountingCustomerParty>/.exec(ublXml)![0];
    const cvrOnly = ublXml.replace(
      customer,
      customer.replace(/<cac:PartyTaxScheme>[\s\S]*?<\/cac:PartyTaxScheme>/, ''),
    );
    const cvrInvoice = readUblText(cvrOnly);
    // The reader made the CVR a VAT number (DK + it); the client's is written with spaces.
    expect(cvrInvoice.buyer.vat).to.equal('DK87654311');
    expect(
      rules(
        checkInvoice({
          format: 'peppol-bis3',
          invoice: cvrInvoice,
          client: { vatNumbers: ['DK 87 65 43 11'] },
        }),
      ),
    ).to.deep.equal([]);
    expect(
      rules(
        checkInvoice({ format: 'peppol-bis3', invoice: cvrInvoice, client: { vatNumbers: ['DK12345674'] } }),
      ),
    ).to.deep.equal(['error:bpo.buyer']);
  });
});

describe('e-invoices: exact decimals', () => {
  it('reads, adds, multiplies, rounds and compares without floating point', async () => {
    const d = await import('../../../server/domain/einvoices/decimal.js');
    expect(d.readDecimal(' +007.50 ')).to.equal('7.50');
    expect(d.readDecimal('-0.00')).to.equal('0.00');
    expect(d.readDecimal('1e3')).to.equal(undefined);
    expect(d.readDecimal('1,5')).to.equal(undefined);
    expect(d.sumDecimals(['0.1', '0.2'])).to.equal('0.3');
    expect(d.sumDecimals(['100.00', '-0.005'])).to.equal('99.995');
    expect(d.sumDecimals([])).to.equal('0');
    expect(d.multiplyDecimals('33.33', '22.00')).to.equal('733.2600');
    expect(d.roundDecimal('7.3326', 2)).to.equal('7.33');
    expect(d.roundDecimal('0.005', 2)).to.equal('0.01');
    expect(d.roundDecimal('-0.005', 2)).to.equal('-0.01');
    expect(d.roundDecimal('5', 2)).to.equal('5.00');
    expect(d.compareDecimals('1.10', '1.1')).to.equal(0);
    expect(d.withinTolerance('100.00', '99.99', '0.01')).to.equal(true);
    expect(d.withinTolerance('100.00', '99.98', '0.01')).to.equal(false);
    expect(d.toAmount('1250.40')).to.equal(1250.4);
  });
});
