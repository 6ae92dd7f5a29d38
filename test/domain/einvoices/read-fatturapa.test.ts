import { expect } from 'chai';
import { parseXml } from '../../../server/domain/einvoices/parse-xml.js';
import { readFatturaPA } from '../../../server/domain/einvoices/read-fatturapa.js';
import { fatturaPA, type FpLine } from './builders.js';

const read = (xml: string) => readFatturaPA(parseXml(Buffer.from(xml)).document);

describe('e-invoices: reading FatturaPA 1.2', () => {
  it('reads one invoice: parties, number, date, currency, total, due date, PO, lines, VAT summary, terms', () => {
    const { version, invoices, findings } = read(
      fatturaPA({ bodies: [{ number: 'FT-2026/118', po: ['PO-4471'] }] }),
    );
    expect(version).to.equal('FPR12');
    expect(findings).to.deep.equal([]);
    expect(invoices).to.have.length(1);
    const [inv] = invoices;
    expect(inv).to.deep.include({
      kind: 'invoice',
      documentType: 'TD01',
      number: 'FT-2026/118',
      issueDate: '2026-03-02',
      currency: 'EUR',
      total: '122.00',
      totalSource: 'document',
      amountDue: '122.00',
      poNumbers: ['PO-4471'],
      corrects: [],
    });
    expect(inv!.supplier).to.deep.equal({
      name: 'Rossi Trasporti S.r.l.',
      vat: 'IT01234567897',
      country: 'IT',
      otherIds: [],
    });
    expect(inv!.buyer).to.deep.include({ name: 'Bianchi Logistica S.p.A.', vat: 'IT12345678903' });
    expect(inv!.dueDates).to.deep.equal([{ date: '2026-04-01', amount: '122.00' }]);
    expect(inv!.paymentTerms).to.deep.equal({
      condition: 'TP02',
      means: ['MP05'],
      accounts: ['IT60X0542811101000000123456'],
    });
    expect(inv!.lines).to.have.length(1);
    expect(inv!.lines[0]).to.deep.include({
      number: '1',
      description: 'Trasporto',
      quantity: '1.00',
      unitPrice: '100.00',
      total: '100.00',
      vatRate: '22.00',
    });
    expect(inv!.lines[0]!.location).to.deep.include({
      path: '/FatturaElettronica/FatturaElettronicaBody/DatiBeniServizi/DettaglioLinee',
    });
    expect(inv!.vatSummary).to.have.length(1);
    expect(inv!.vatSummary[0]).to.deep.include({ rate: '22.00', taxable: '100.00', tax: '22.00' });
    // The same fields the invoice ticket has today.
    expect(inv!.fields).to.deep.equal({
      supplierName: 'Rossi Trasporti S.r.l.',
      supplierVat: 'IT01234567897',
      invoiceNumber: 'FT-2026/118',
      issueDate: '2026-03-02',
      dueDate: '2026-04-01',
      amount: 122,
      currency: 'EUR',
      poNumber: 'PO-4471',
    });
  });

  it('reads every body of a multi-body file as its own invoice, with the header parties', () => {
    const { invoices } = read(
      fatturaPA({
        prefix: 'ns2',
        bodies: [
          { number: '1', total: '244.00' },
          {
            number: '2',
            date: '2026-03-05',
            due: [
              { date: '2026-04-05', amount: '61.00' },
              { date: '2026-05-05', amount: '61.00' },
            ],
          },
          { number: '3' },
        ],
      }),
    );
    expect(invoices.map((i) => i.number)).to.deep.equal(['1', '2', '3']);
    expect(invoices.map((i) => i.supplier.vat)).to.deep.equal([
      'IT01234567897',
      'IT01234567897',
      'IT01234567897',
    ]);
    expect(invoices[1]!.dueDates).to.deep.equal([
      { date: '2026-04-05', amount: '61.00' },
      { date: '2026-05-05', amount: '61.00' },
    ]);
    expect(invoices[1]!.fields.dueDate).to.equal('2026-04-05');
    expect(invoices[1]!.paymentTerms?.condition).to.equal('TP01');
    expect(invoices[1]!.location?.path).to.equal('/FatturaElettronica/FatturaElettronicaBody[2]');
    expect(invoices[0]!.total).to.equal('244.00');
  });

  it('falls back to the sum of the VAT summary when ImportoTotaleDocumento is absent (it is optional)', () => {
    const { invoices, findings } = read(
      fatturaPA({
        prefix: null,
        bodies: [
          {
            number: '77',
            total: null,
            lines: [
              { description: 'A', quantity: '3', unitPrice: '33.333', total: '100.00', rate: '22.00' },
              { description: 'B', unitPrice: '0.10', total: '0.10', rate: '0.00' },
            ],
            summary: [
              { rate: '22.00', taxable: '100.00', tax: '22.00' },
              { rate: '0.00', taxable: '0.10', tax: '0.00', nature: 'N2.2' },
            ],
          },
        ],
      }),
    );
    const [inv] = invoices;
    expect(inv!.total).to.equal('122.10');
    expect(inv!.totalSource).to.equal('vat_summary');
    expect(inv!.fields.amount).to.equal(122.1);
    expect(inv!.vatSummary[1]).to.deep.include({ category: 'N2.2' });
    expect(findings.map((f) => [f.severity, f.rule])).to.deep.equal([
      ['info', 'fatturapa.total_from_summary'],
    ]);
  });

  it('recognises credit notes (TD04, TD08) and the invoice they correct', () => {
    const { invoices } = read(
      fatturaPA({
        bodies: [
          { type: 'TD04', number: 'NC-5', corrects: ['FT-2026/118'] },
          { type: 'TD08', number: 'NC-6' },
          { type: 'TD05', number: 'ND-1' },
        ],
      }),
    );
    expect(invoices.map((i) => i.kind)).to.deep.equal(['credit_note', 'credit_note', 'invoice']);
    expect(invoices[0]!.corrects).to.deep.equal(['FT-2026/118']);
  });

  it('takes a person supplier (Nome + Cognome) and FPA12', () => {
    const { version, invoices } = read(
      fatturaPA({
        version: 'FPA12',
        supplier: { country: 'IT', code: '01234567897', first: 'Mario', last: 'Rossi' },
        bodies: [{ number: '9' }],
      }),
    );
    expect(version).to.equal('FPA12');
    expect(invoices[0]!.supplier.name).to.equal('Mario Rossi');
  });

  it('reports what is missing or unreadable as findings with their place, not a crash', () => {
    const xml = fatturaPA({ bodies: [{ number: 'X', date: '2026-02-30' }] })
      .replace('<Numero>X</Numero>', '')
      .replace('<PrezzoTotale>100.00</PrezzoTotale>', '<PrezzoTotale>cento</PrezzoTotale>')
      .replace(
        /<IdFiscaleIVA><IdPaese>IT<\/IdPaese><IdCodice>01234567897<\/IdCodice><\/IdFiscaleIVA><Anagrafica><Denominazione>Rossi/,
        '<Anagrafica><Denominazione>Rossi',
      );
    const { invoices, findings } = read(xml);
    expect(invoices).to.have.length(1);
    const rules = findings.map((f) => `${f.severity}:${f.rule}:${String(f.params.field ?? '')}`);
    expect(rules).to.include.members([
      'error:fatturapa.missing:Numero',
      'error:fatturapa.date:Data',
      'error:fatturapa.decimal:PrezzoTotale',
      'error:fatturapa.supplier_vat:',
    ]);
    const decimal = findings.find((f) => f.rule === 'fatturapa.decimal');
    expect(decimal!.location!.line).to.be.a('number');
    expect(decimal!.location!.path).to.equal(
      '/FatturaElettronica/FatturaElettronicaBody/DatiBeniServizi/DettaglioLinee/PrezzoTotale',
    );
    expect(invoices[0]!.fields).to.not.have.property('invoiceNumber');
  });

  it('reads a 5 MB invoice with 10 000 lines in reasonable time', () => {
    const lines: FpLine[] = Array.from({ length: 10_000 }, (_, i) => ({
      description: `Consegna ${i + 1}: ritiro presso magazzino di Bologna, consegna a Milano, pallet EPAL, colli ${(i % 40) + 1}, rif. DDT 2026/${String(i).padStart(5, '0')}; ${'x'.repeat(160)}`,
      quantity: '1.00',
      unitPrice: '10.00',
      total: '10.00',
    }));
    const xml = fatturaPA({
      bodies: [
        {
          number: 'BIG-1',
          lines,
          summary: [{ rate: '22.00', taxable: '100000.00', tax: '22000.00' }],
          total: '122000.00',
        },
      ],
    });
    const bytes = Buffer.from(xml);
    expect(bytes.length).to.be.within(4.5e6, 6e6);
    const started = performance.now();
    const { invoices, findings } = readFatturaPA(parseXml(bytes).document);
    const ms = performance.now() - started;
    expect(findings).to.deep.equal([]);
    expect(invoices[0]!.lines).to.have.length(10_000);
    expect(invoices[0]!.lines[9_999]!.location!.path).to.equal(
      '/FatturaElettronica/FatturaElettronicaBody/DatiBeniServizi/DettaglioLinee[10000]',
    );
    expect(ms, `${Math.round(ms)} ms`).to.be.below(5_000);
  });
});
