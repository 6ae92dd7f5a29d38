import { expect } from 'chai';
import { t } from '../../../server/i18n/i18n.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { receiveEInvoice } from '../../../server/domain/einvoices/receive-einvoice.js';
import type { EInvoiceFormat, Finding } from '../../../server/domain/einvoices/types.js';
import { validateEInvoice, validationLimits } from '../../../server/domain/einvoices/validate-einvoice.js';
import { schematronLimits, stopSchematron } from '../../../server/domain/einvoices/validate-schematron.js';
import { einvoiceView } from '../../../server/http/einvoice-view.js';
import { einvoiceOfTicket } from '../../../server/domain/einvoices/queries.js';
import { ensureEInvoiceRules } from '../../../scripts/einvoice-rules.js';
import { userCtx } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { fatturaPA, ubl, ublLines } from './builders.js';
import { zip } from './zip.js';

/**
 * XSD and Schematron validation with the official rule files (installed from Maven Central by
 * scripts/einvoice-rules.ts): every fixture is built here (builders.ts), then changed to break
 * one rule.
 */
describe('e-invoices: XSD and Schematron validation (official rule files)', function () {
  this.timeout(120_000);

  before(async function () {
    this.timeout(600_000); // the first install downloads the jars and compiles the XSLT (~40 s)
    await ensureEInvoiceRules();
  });
  after(() => stopSchematron());

  const root = (xml: string) => /<(?:\w+:)?(FatturaElettronica|Invoice|CreditNote)\b/.exec(xml)?.[1] ?? '';
  const validate = (format: EInvoiceFormat, xml: string) =>
    validateEInvoice(format, { bytes: Buffer.from(xml), text: xml, root: root(xml) });
  const rules = (findings: Finding[]) => findings.map((f) => f.rule);
  const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');

  /** A Peppol BIS 3 invoice between two Italian companies that the rule sets accept. */
  const peppol = (o: Parameters<typeof ubl>[0] = {}) =>
    ubl({
      supplier: { name: 'Rossi Trasporti S.r.l.', vat: 'IT01234567897', country: 'IT' },
      buyer: { name: 'Bianchi Logistica S.p.A.', vat: 'IT12345678903', country: 'IT' },
      ...o,
    })
      // the builder's second tax total (in a tax currency the invoice does not name) and its
      // Danish endpoint scheme are replaced by what an Italian Peppol invoice has
      .replace(/<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">[^<]*<\/cbc:TaxAmount><\/cac:TaxTotal>/, '')
      .replace(/schemeID="0184"/g, 'schemeID="0211"')
      .replace(/>(\d{11})<\/cbc:EndpointID>/g, '>IT$1</cbc:EndpointID>')
      .replace(
        /<cac:PostalAddress>/g,
        '<cac:PostalAddress><cbc:StreetName>Via Roma 1</cbc:StreetName><cbc:CityName>Roma</cbc:CityName><cbc:PostalZone>00100</cbc:PostalZone>',
      );

  it('a valid FatturaPA passes the FatturaPA 1.2.2 XSD', async () => {
    const findings = await validate(
      'fatturapa',
      fatturaPA({ bodies: [{ number: 'V-1' }, { number: 'V-2' }] }),
    );
    expect(findings).to.deep.equal([]);
  });

  it('a FatturaPA without its mandatory Numero fails the XSD, with the line', async () => {
    const xml = fatturaPA({ bodies: [{ number: 'NO-NUMBER' }] }).replace(/<Numero>[^<]*<\/Numero>/, '');
    const findings = await validate('fatturapa', xml);
    expect(rules(findings)).to.deep.equal(['xsd.fatturapa']);
    const [f] = findings;
    expect(f!.severity).to.equal('error');
    expect(f!.messageKey).to.equal('einvoicerules.xsd_problem');
    expect(String(f!.params.text)).to.include('Numero');
    // The validator's English read as a problem an Italian reads in Italian.
    expect(f!.params).to.include({ problem: 'unexpected_element', expected: 'Numero' });
    expect(t('it', f!.messageKey, f!.params)).to.match(
      /^Non valido rispetto allo schema \(XSD FatturaPA 1\.2\.2\): l'elemento \w+ non è previsto qui; previsto: Numero$/,
    );
    expect(f!.location?.line).to.equal(4); // the body's line in the builder's layout
  });

  it('a FatturaPA with a value outside its type fails the XSD (TipoDocumento TD99)', async () => {
    const xml = fatturaPA({ bodies: [{ number: 'BAD-TYPE', type: 'TD99' }] });
    const findings = await validate('fatturapa', xml);
    expect(rules(findings)).to.include('xsd.fatturapa');
    expect(findings.map((f) => String(f.params.text)).join(' ')).to.include('TipoDocumento');
    // Every one of them read as a known problem (none left as 'other', so none in the validator's English).
    const xsd = findings.filter((f) => f.rule === 'xsd.fatturapa');
    expect(xsd.map((f) => f.params.problem)).to.include('enumeration');
    expect(xsd.map((f) => f.params.problem)).not.to.include('other');
  });

  it('a valid Peppol BIS 3 invoice and credit note pass the UBL 2.1 XSD, EN 16931 and Peppol rules', async () => {
    for (const xml of [peppol(), peppol({ root: 'CreditNote', corrects: 'INV-2026-0041' })]) {
      const findings = await validate('peppol-bis3', xml);
      expect(errors(findings), root(xml)).to.deep.equal([]);
    }
  });

  it('a UBL invoice without its mandatory IssueDate fails the UBL 2.1 XSD', async () => {
    const xml = peppol().replace(/<cbc:IssueDate>[^<]*<\/cbc:IssueDate>/, '');
    const findings = await validate('peppol-bis3', xml);
    const xsd = findings.filter((f) => f.rule === 'xsd.ubl');
    expect(xsd).to.have.length.greaterThan(0);
    expect(String(xsd[0]!.params.text)).to.include('IssueDate');
    expect(xsd[0]!.location?.line).to.be.a('number');
    // EN 16931 says the same in its own words (BR-03: an invoice has an issue date).
    expect(rules(findings)).to.include('BR-03');
  });

  it('EN 16931 BR-CO-15 fires on totals that do not add up, with the rule text and an XPath', async () => {
    const xml = peppol({ taxInclusive: '1300.00', payable: '1300.00' });
    const findings = await validate('peppol-bis3', xml);
    const brco15 = findings.find((f) => f.rule === 'BR-CO-15');
    expect(brco15, JSON.stringify(rules(findings))).to.not.equal(undefined);
    expect(brco15!.severity).to.equal('error');
    expect(brco15!.messageKey).to.equal('einvoicerules.schematron');
    expect(String(brco15!.params.engine)).to.include('EN 16931');
    expect(String(brco15!.params.text)).to.include('BT-112');
    expect(brco15!.location?.path).to.match(/^\/Invoice\[1\]/);
    expect(brco15!.location?.path).to.not.include('namespace-uri');
    // A generic UBL invoice is held to EN 16931 too, but not to Peppol's own rules.
    const generic = await validate('ubl', xml);
    expect(rules(generic)).to.include('BR-CO-15');
    expect(rules(generic).some((r) => r.startsWith('PEPPOL-'))).to.equal(false);
  });

  it('a Peppol BIS 3 rule fires: PEPPOL-EN16931-R001 (no business process), only for Peppol', async () => {
    const xml = peppol().replace(/<cbc:ProfileID>[^<]*<\/cbc:ProfileID>/, '');
    const findings = await validate('peppol-bis3', xml);
    const r001 = findings.find((f) => f.rule === 'PEPPOL-EN16931-R001');
    expect(r001, JSON.stringify(rules(findings))).to.not.equal(undefined);
    expect(r001!.severity).to.equal('error');
    expect(String(r001!.params.engine)).to.include('Peppol BIS Billing 3');
    expect(rules(await validate('ubl', xml))).to.not.include('PEPPOL-EN16931-R001');
  });

  it('a Peppol warning keeps its severity (PEPPOL-COMMON-R044: an IPA code in a wrong format)', async () => {
    const xml = peppol().replace(
      '<cac:AccountingCustomerParty><cac:Party><cbc:EndpointID schemeID="0211">IT12345678903</cbc:EndpointID>',
      '<cac:AccountingCustomerParty><cac:Party><cbc:EndpointID schemeID="0211">IT12345678903</cbc:EndpointID>' +
        '<cac:PartyIdentification><cbc:ID schemeID="0201">NOT-AN-IPA-CODE</cbc:ID></cac:PartyIdentification>',
    );
    const findings = await validate('peppol-bis3', xml);
    const r044 = findings.find((f) => f.rule === 'PEPPOL-COMMON-R044');
    expect(r044, JSON.stringify(rules(findings))).to.not.equal(undefined);
    expect(r044!.severity).to.equal('warning');
    expect(errors(findings)).to.deep.equal([]);
  });

  it('never throws: malformed XML, too large and too slow are findings', async () => {
    const broken = await validate('peppol-bis3', '<Invoice><unclosed></Invoice>');
    expect(broken.length).to.be.greaterThan(0);
    expect(rules(broken)).to.include('xsd.ubl');
    expect(rules(broken)).to.include('rules.failed');

    const max = validationLimits.maxBytes;
    validationLimits.maxBytes = 100;
    try {
      expect(rules(await validate('peppol-bis3', peppol()))).to.deep.equal(['rules.too_large']);
    } finally {
      validationLimits.maxBytes = max;
    }

    const timeout = schematronLimits.timeoutMs;
    const perMb = schematronLimits.timeoutMsPerMb;
    schematronLimits.timeoutMs = 1;
    schematronLimits.timeoutMsPerMb = 0;
    try {
      // 1 ms in all (no allowance per MB) for 500 lines: late however warm and idle the process.
      expect(rules(await validate('peppol-bis3', peppol(ublLines(500))))).to.include('rules.timeout');
    } finally {
      schematronLimits.timeoutMs = timeout;
      schematronLimits.timeoutMsPerMb = perMb;
    }
    // The stopped worker is replaced: the next invoice is checked again.
    const again = await validate('peppol-bis3', peppol({ taxInclusive: '1300.00', payable: '1300.00' }));
    expect(rules(again)).to.include('BR-CO-15');
  });

  describe('received files: the findings on the ticket', () => {
    let world: World;
    before(async () => {
      await connectTestDb('validate-einvoice');
      world = await makeWorld();
    });
    after(() => dropAndDisconnect());

    it('stores XSD and Schematron findings with the BPO checks and shows them in the checklist', async () => {
      const ctx = userCtx(world.users.acmeAdmin);
      const xml = peppol({ id: 'RULES-1', taxInclusive: '1300.00', payable: '1300.00' });
      const receipt = await receiveEInvoice(ctx, { filename: 'rules-1.xml' }, Buffer.from(xml));
      const [invoice] = receipt.invoices;
      expect(rules(invoice!.findings)).to.include('BR-CO-15');
      expect(rules(invoice!.findings)).to.include('bpo.total');
      const record = await EInvoiceRecord.findOne({ ticketId: invoice!.ticket.id })
        .setOptions({ allTenants: true })
        .lean();
      expect(rules(record!.findings as Finding[])).to.include('BR-CO-15');

      const stored = await einvoiceOfTicket(ctx, { _id: invoice!.ticket.id, tenantId: record!.tenantId });
      for (const [locale, word] of [
        ['en', 'Business rule of EN 16931'],
        ['it', 'Regola di business di EN 16931'],
        ['da', 'Forretningsregel i EN 16931'],
      ] as const) {
        const view = einvoiceView(stored!, locale);
        const row = view.findings.find((f) => f.rule === 'BR-CO-15');
        expect(row!.message).to.include(word);
        expect(row!.message).to.include('BT-112');
        expect(row!.where).to.include('/Invoice[1]');
      }
    });

    it('a FatturaPA with an XSD error still becomes a ticket, the error on it', async () => {
      const ctx = userCtx(world.users.acmeAdmin);
      const xml = fatturaPA({ bodies: [{ number: 'RULES-FP', type: 'TD99' }] });
      const receipt = await receiveEInvoice(ctx, { filename: 'IT01234567897_RULES.xml' }, Buffer.from(xml));
      expect(receipt.invoices).to.have.length(1);
      expect(rules(receipt.invoices[0]!.findings)).to.include('xsd.fatturapa');
    });

    it('an upload spends a bounded time on validation: later files of a ZIP are marked not checked', async () => {
      const ctx = userCtx(world.users.acmeAdmin);
      const archive = zip([
        {
          name: 'first.xml',
          data: Buffer.from(fatturaPA({ bodies: [{ number: 'BUDGET-1', type: 'TD99' }] })),
        },
        {
          name: 'second.xml',
          data: Buffer.from(fatturaPA({ bodies: [{ number: 'BUDGET-2', type: 'TD99' }] })),
        },
      ]);
      const budget = validationLimits.uploadBudgetMs;
      validationLimits.uploadBudgetMs = 0;
      try {
        const receipt = await receiveEInvoice(ctx, { filename: 'budget.zip' }, archive);
        const [first, second] = receipt.invoices;
        expect(rules(first!.findings)).to.include('xsd.fatturapa');
        expect(rules(second!.findings)).to.include('rules.skipped');
        expect(rules(second!.findings)).to.not.include('xsd.fatturapa');
      } finally {
        validationLimits.uploadBudgetMs = budget;
      }
    });
  });
});
