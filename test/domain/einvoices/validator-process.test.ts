import { expect } from 'chai';
import { ensureEInvoiceRules } from '../../../scripts/einvoice-rules.js';
import type { EInvoiceFormat, Finding } from '../../../server/domain/einvoices/types.js';
import { validateEInvoice } from '../../../server/domain/einvoices/validate-einvoice.js';
import { stopSchematron, validatorPid } from '../../../server/domain/einvoices/validate-schematron.js';
import { ubl, ublLines } from './builders.js';

/**
 * The validator process (einvoice-validator/, validate-schematron.ts): OIOUBL 2.1's official
 * Schematron on OIOUBL files, and a process that dies mid-file is a finding, then replaced.
 */
describe('e-invoices: the validator process and OIOUBL rules', function () {
  this.timeout(180_000);

  before(async function () {
    this.timeout(600_000); // the first install downloads the jars and builds the validator
    await ensureEInvoiceRules();
  });
  after(() => stopSchematron());

  const root = (xml: string) => /<(?:\w+:)?(Invoice|CreditNote)\b/.exec(xml)?.[1] ?? '';
  const validate = (format: EInvoiceFormat, xml: string) =>
    validateEInvoice(format, { bytes: Buffer.from(xml), text: xml, root: root(xml) });
  const byRule = (findings: Finding[], rule: string) => findings.find((f) => f.rule === rule);

  it("passes the plain OIOUBL invoice and credit note samples (einvoice-samples.ts) under OIOUBL's own rules with no finding", async () => {
    const samples = {
      invoice: ubl({ flavour: 'oioubl', id: 'OIO-PLAIN' }),
      'invoice of 4 lines with an order': ubl({
        flavour: 'oioubl',
        id: 'OIO-PLAIN-4',
        orderRef: 'PO-88213',
        ...ublLines(4, 5),
      }),
      'credit note': ubl({ flavour: 'oioubl', root: 'CreditNote', id: 'OIO-CN', corrects: 'OIO-PLAIN' }),
      'credit note of 3 lines': ubl({
        flavour: 'oioubl',
        root: 'CreditNote',
        id: 'OIO-CN-3',
        corrects: 'OIO-PLAIN-4',
        ...ublLines(3, 8),
      }),
    };
    for (const [name, xml] of Object.entries(samples)) {
      const findings = await validate('oioubl', xml);
      const summary = JSON.stringify(findings.map((f) => [f.severity, f.rule, f.location?.path]));
      expect(
        findings.filter((f) => f.severity === 'error'),
        `${name}: ${summary}`,
      ).to.deep.equal([]);
      expect(findings, `${name}: ${summary}`).to.deep.equal([]);
    }
  });

  it("checks an OIOUBL invoice and credit note with OIOUBL's own rules: id from the text, W- rules warnings", async () => {
    // The plain sample, without OIOUBL's code list ids on InvoiceTypeCode (W-INV010, a warning)
    // and without its postal addresses' AddressFormatCode (F-LIB025, an error).
    const broken = (xml: string) =>
      xml
        .replace(/<cbc:InvoiceTypeCode [^>]*>/, '<cbc:InvoiceTypeCode>')
        .replace(/<cbc:AddressFormatCode [^>]*>[^<]*<\/cbc:AddressFormatCode>/g, '');
    const invoice = await validate('oioubl', broken(ubl({ flavour: 'oioubl', id: 'OIO-RULES' })));
    const w = byRule(invoice, 'W-INV010');
    expect(w, JSON.stringify(invoice.map((f) => f.rule))).to.not.equal(undefined);
    expect(w!.severity).to.equal('warning');
    expect(w!.messageKey).to.equal('einvoicerules.schematron');
    expect(String(w!.params.engine)).to.include('OIOUBL 2.1');
    expect(String(w!.params.text)).to.not.match(/^\[/);
    expect(w!.location?.path).to.match(/^\/Invoice(\[1\])?\/\w/);
    const f = byRule(invoice, 'F-LIB025');
    expect(f?.severity).to.equal('error');
    // Valid against the UBL 2.1 XSD, and not held to EN 16931 or Peppol.
    expect(invoice.some((x) => x.rule === 'xsd.ubl' || x.rule.startsWith('BR-'))).to.equal(false);

    const credit = await validate(
      'oioubl',
      broken(ubl({ flavour: 'oioubl', root: 'CreditNote', corrects: 'OIO-RULES' })),
    );
    expect(credit.some((x) => String(x.params.engine).includes('OIOUBL 2.1'))).to.equal(true);
    expect(credit.some((x) => (x.location?.path ?? '').startsWith('/CreditNote'))).to.equal(true);
  });

  it('a validator that dies during a file gives a "validation unavailable" warning; the next file starts a new one', async () => {
    const xml = ubl({ id: 'CRASH', ...ublLines(200, 3) });
    await validate('peppol-bis3', xml); // started and warm
    const pid = validatorPid();
    expect(pid).to.be.a('number');
    const inFlight = validate('peppol-bis3', xml);
    await new Promise((resolve) => setTimeout(resolve, 10));
    process.kill(pid!, 'SIGKILL');
    const findings = await inFlight;
    const down = byRule(findings, 'rules.validator_down');
    expect(down, JSON.stringify(findings.map((x) => x.rule))).to.not.equal(undefined);
    expect(down!.severity).to.equal('warning');
    expect(down!.messageKey).to.equal('einvoicevalidator.down');

    const again = await validate('peppol-bis3', xml);
    expect(validatorPid()).to.not.equal(pid);
    expect(again.map((x) => x.rule)).to.include('PEPPOL-EN16931-R054');
    expect(again.some((x) => x.rule.startsWith('rules.'))).to.equal(false);
  });
});
