import { expect } from 'chai';
import { parseXml } from '../../../server/domain/einvoices/parse-xml.js';
import { readEInvoice } from '../../../server/domain/einvoices/read-einvoice.js';
import { readFatturaPA } from '../../../server/domain/einvoices/read-fatturapa.js';
import type { Finding } from '../../../server/domain/einvoices/types.js';
import { t } from '../../../server/i18n/i18n.js';
import { fatturaPA, ubl } from './builders.js';
import { zip } from './zip.js';

const FP_NS = 'http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2';

/** Every finding of a reading: the upload's and each file's (an invoice's are on its file). */
async function findingsOf(bytes: Buffer, name: string): Promise<Finding[]> {
  const reading = await readEInvoice(bytes, name);
  return [...reading.findings, ...reading.files.flatMap((f) => f.findings)];
}

/** The finding of `rule`, with the expected severity and a message in words in en, it and da. */
function expectFinding(findings: Finding[], rule: string, severity: Finding['severity']): Finding {
  const found = findings.find((f) => f.rule === rule);
  expect(found, `${rule} in ${JSON.stringify(findings.map((f) => f.rule))}`).to.not.equal(undefined);
  expect(found!.severity).to.equal(severity);
  const messages = (['en', 'it', 'da'] as const).map((l) => t(l, found!.messageKey, found!.params));
  for (const m of messages) {
    expect(m, rule).to.not.equal(found!.messageKey);
    expect(m, rule).to.not.match(/\{\{/);
  }
  expect(new Set(messages).size, `${rule}: three languages`).to.equal(3);
  return found!;
}

/** Sets the "encrypted" flag of every entry of a ZIP (local and central headers), as a protected ZIP has. */
function markEncrypted(archive: Buffer): Buffer {
  const out = Buffer.from(archive);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50) out.writeUInt16LE(out.readUInt16LE(i + 6) | 1, i + 6);
    else if (sig === 0x02014b50) out.writeUInt16LE(out.readUInt16LE(i + 8) | 1, i + 8);
  }
  return out;
}

/**
 * Issue 17, Tests, "every finding type": the reading findings no other test reaches, each made
 * by a file of its own, with its severity and its message in the three languages. (BPO checks:
 * check-invoice.test.ts; XSD and Schematron: validate-einvoice.test.ts; .p7m: unwrap-signed and
 * read-einvoice; XML refusals: parse-xml; ZIP limits: read-einvoice.)
 */
describe('e-invoices: every finding type has its file, severity and words', function () {
  this.timeout(30_000);

  it('fatturapa.version: a version other than FPR12/FPA12 is a warning, the invoice still read', async () => {
    const reading = await readEInvoice(
      Buffer.from(fatturaPA({ version: 'FPR99', bodies: [{ number: 'V-1' }] })),
      'v.xml',
    );
    expect(reading.files[0]!.invoices.map((i) => i.number)).to.deep.equal(['V-1']);
    const found = expectFinding(reading.files[0]!.findings, 'fatturapa.version', 'warning');
    expect(found.params).to.deep.equal({ version: 'FPR99' });
    expect(found.location?.line).to.equal(2);
  });

  it('fatturapa.header, fatturapa.supplier_vat and fatturapa.body: a FatturaPA with neither header nor body', async () => {
    const bytes = Buffer.from(
      `<?xml version="1.0"?>\n<p:FatturaElettronica versione="FPR12" xmlns:p="${FP_NS}"/>`,
    );
    const findings = await findingsOf(bytes, 'empty.xml');
    expectFinding(findings, 'fatturapa.header', 'error');
    expectFinding(findings, 'fatturapa.body', 'error');
    expectFinding(findings, 'fatturapa.supplier_vat', 'error');
  });

  it('file.format and fatturapa.root: the FatturaPA namespace on another root element', async () => {
    const bytes = Buffer.from(
      `<?xml version="1.0"?>\n<p:Fattura versione="FPR12" xmlns:p="${FP_NS}"><x/></p:Fattura>`,
    );
    // The intake names it a file of no known format; the FatturaPA reader, called on it, says why.
    expectFinding(await findingsOf(bytes, 'root.xml'), 'file.format', 'error');
    const direct = readFatturaPA(parseXml(bytes).document);
    expect(direct.invoices).to.have.length(0);
    expect(expectFinding(direct.findings, 'fatturapa.root', 'error').params).to.deep.equal({
      root: 'Fattura',
    });
  });

  it('ubl.supplier_vat: a UBL invoice whose supplier has no VAT number', async () => {
    // The supplier named only, no endpoint, tax scheme or legal entity to take a VAT number from.
    const xml = ubl({ id: 'NOVAT' }).replace(
      /<cac:AccountingSupplierParty>[^]*?<\/cac:AccountingSupplierParty>/,
      '<cac:AccountingSupplierParty><cac:Party><cac:PartyName><cbc:Name>Senza Partita IVA</cbc:Name></cac:PartyName></cac:Party></cac:AccountingSupplierParty>',
    );
    expect(xml).to.include('Senza Partita IVA');
    const findings = await findingsOf(Buffer.from(xml), 'novat.xml');
    expectFinding(findings, 'ubl.supplier_vat', 'error');
  });

  it('zip.encrypted: a password-protected entry is refused by name, the others read', async () => {
    const archive = markEncrypted(
      zip([{ name: 'secret.xml', data: Buffer.from(fatturaPA({ bodies: [{ number: 'ENC-1' }] })) }]),
    );
    const reading = await readEInvoice(archive, 'locked.zip');
    const findings = reading.files.flatMap((f) => f.findings);
    const found = expectFinding(findings, 'zip.encrypted', 'error');
    expect(found.params).to.deep.include({ name: 'secret.xml' });
    expect(reading.files.flatMap((f) => f.invoices)).to.have.length(0);
  });

  it('xml.doctype, xml.malformed, xml.encoding_unknown and xml.encoding_invalid reach the reader as error findings', async () => {
    const cases: Array<[string, Buffer]> = [
      ['xml.doctype', Buffer.from('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')],
      ['xml.malformed', Buffer.from('<?xml version="1.0"?><a><b></a>')],
      ['xml.encoding_unknown', Buffer.from('<?xml version="1.0" encoding="klingon-8"?><a/>')],
      [
        'xml.encoding_invalid',
        Buffer.from([
          ...Buffer.from('<?xml version="1.0" encoding="UTF-8"?><a>'),
          0xff,
          0xfe,
          ...Buffer.from('</a>'),
        ]),
      ],
    ];
    for (const [rule, bytes] of cases) {
      const findings = await findingsOf(bytes, `${rule}.xml`);
      expectFinding(findings, rule, 'error');
    }
  });
});
