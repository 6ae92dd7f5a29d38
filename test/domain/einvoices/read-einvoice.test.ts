import { expect } from 'chai';
import { readEInvoice, zipLimits } from '../../../server/domain/einvoices/read-einvoice.js';
import { fatturaPA, ubl } from './builders.js';
import { makeSigner, type Signer } from './openssl.js';
import { zip } from './zip.js';

const fp = (number: string, bodies = 1) =>
  Buffer.from(
    fatturaPA({ bodies: Array.from({ length: bodies }, (_, i) => ({ number: `${number}-${i + 1}` })) }),
  );

describe('e-invoices: reading an uploaded file (XML, .p7m, ZIP)', function () {
  this.timeout(60_000);
  let signer: Signer;
  before(() => {
    signer = makeSigner();
  });
  after(() => signer.cleanup());

  it('reads a plain FatturaPA with several bodies, Peppol and OIOUBL by their content', async () => {
    const plain = await readEInvoice(fp('FT', 2), 'IT01234567897_00001.xml');
    expect(plain.findings).to.deep.equal([]);
    expect(plain.files).to.have.length(1);
    expect(plain.files[0]).to.deep.include({
      name: 'IT01234567897_00001.xml',
      format: 'fatturapa',
      findings: [],
    });
    expect(plain.files[0]!.invoices.map((i) => i.number)).to.deep.equal(['FT-1', 'FT-2']);
    const peppol = await readEInvoice(Buffer.from(ubl()), 'invoice.xml');
    expect(peppol.files[0]!.format).to.equal('peppol-bis3');
    const oio = await readEInvoice(Buffer.from(ubl({ flavour: 'oioubl' })), 'faktura.xml');
    expect(oio.files[0]!.format).to.equal('oioubl');
    expect(oio.files[0]!.invoices[0]!.fields.supplierVat).to.equal('DK12345674');
  });

  it('reads a windows-1252 FatturaPA ("€" and "à" in a description) and a UTF-16 one', async () => {
    const text = fatturaPA({
      encoding: 'windows-1252',
      bodies: [
        {
          number: 'W-1',
          lines: [{ description: 'Città di Forlì: 100 € già pagati', unitPrice: '100.00', total: '100.00' }],
        },
      ],
    });
    // Encoded by hand: Latin-1 for "à", "ì", and 0x80 for "€" (windows-1252).
    const bytes = Buffer.from(text.replace(/€/g, '\u0080'), 'latin1');
    expect(bytes.includes(0x80)).to.equal(true);
    const reading = await readEInvoice(bytes, 'IT01234567897_W1.xml');
    expect(reading.files[0]!.findings).to.deep.equal([]);
    expect(reading.files[0]!.invoices[0]!.lines[0]!.description).to.equal('Città di Forlì: 100 € già pagati');
    const utf16 = fatturaPA({ encoding: 'UTF-16', bodies: [{ number: 'U-1' }] });
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf16, 'utf16le')]);
    expect((await readEInvoice(le, 'u.xml')).files[0]!.invoices[0]!.number).to.equal('U-1');
  });

  it('unwraps a signed FatturaPA (streamed, base64) and records signer and verification as findings', async () => {
    const streamed = await readEInvoice(
      signer.sign(fp('SIG'), { stream: true }),
      'IT01234567897_00002.xml.p7m',
    );
    const [file] = streamed.files;
    expect(file!.format).to.equal('fatturapa');
    expect(file!.signature).to.deep.include({ verified: true, trusted: false, signers: [signer.subject] });
    expect(file!.findings).to.deep.equal([
      {
        severity: 'info',
        rule: 'p7m.not_trusted',
        messageKey: 'einvoices.p7m.verified_not_trusted',
        params: { signers: signer.subject },
      },
    ]);
    expect(file!.invoices[0]!.number).to.equal('SIG-1');
    // Base64 text, named .xml: found by its content.
    const b64 = await readEInvoice(Buffer.from(signer.sign(fp('B64')).toString('base64')), 'fattura.xml');
    expect(b64.files[0]!.signature?.encoding).to.equal('base64');
    expect(b64.files[0]!.invoices[0]!.number).to.equal('B64-1');
  });

  it('reads a tampered .p7m with a warning, and a broken one as an error finding (no crash)', async () => {
    const p7m = Buffer.from(signer.sign(fp('TMP')));
    p7m[p7m.indexOf('Rossi Trasporti')] = 'R'.charCodeAt(0) + 1;
    const tampered = await readEInvoice(p7m, 'x.xml.p7m');
    expect(tampered.files[0]!.findings.map((f) => [f.severity, f.rule])).to.deep.equal([
      ['warning', 'p7m.not_verified'],
    ]);
    expect(tampered.files[0]!.invoices[0]!.supplier.name).to.equal('Sossi Trasporti S.r.l.');
    const broken = await readEInvoice(p7m.subarray(0, 300), 'x.xml.p7m');
    expect(broken.files[0]!.invoices).to.deep.equal([]);
    expect(broken.files[0]!.findings[0]).to.deep.include({ severity: 'error' });
    expect(broken.files[0]!.findings[0]!.messageKey).to.match(/^einvoices\.p7m\./);
    // Named .p7m but plain XML: read, with a warning; neither XML nor an envelope: an error.
    const plain = await readEInvoice(fp('NS'), 'IT01234567897_00003.xml.p7m');
    expect(plain.files[0]!.findings.map((f) => [f.severity, f.rule])).to.deep.equal([
      ['warning', 'p7m.unsigned'],
    ]);
    expect(plain.files[0]!.invoices[0]!.number).to.equal('NS-1');
    const notSigned = await readEInvoice(Buffer.from('hello'), 'x.p7m');
    expect(notSigned.files[0]!.findings.map((f) => f.rule)).to.deep.equal(['p7m.unsigned', 'xml.malformed']);
  });

  it('turns refused XML into error findings with their place', async () => {
    const xxe = await readEInvoice(
      Buffer.from('<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'),
      'evil.xml',
    );
    expect(xxe.files[0]!.findings).to.deep.equal([
      {
        severity: 'error',
        rule: 'xml.doctype',
        messageKey: 'einvoices.xml.doctype',
        params: { line: 2, column: 1 },
        location: { line: 2, column: 1 },
      },
    ]);
    const other = await readEInvoice(Buffer.from('<Order xmlns="urn:example"/>'), 'order.xml');
    expect(other.files[0]!.findings[0]).to.deep.include({
      rule: 'file.format',
      params: { root: 'Order', namespace: 'urn:example' },
    });
  });

  it('reads every .xml and .p7m in a ZIP, skipping other entries with an info finding', async () => {
    const archive = zip([
      { name: 'a/IT01234567897_00001.xml', data: fp('Z1') },
      { name: 'IT01234567897_00002.xml.p7m', data: signer.sign(fp('Z2'), { stream: true }) },
      { name: 'peppol.XML', data: Buffer.from(ubl()) },
      { name: 'readme.txt', data: Buffer.from('hi') },
      { name: 'inner.zip', data: zip([{ name: 'x.xml', data: fp('Z3') }]) },
      { name: '__MACOSX/._peppol.XML', data: Buffer.from('junk') },
      { name: 'dir/', data: Buffer.alloc(0) },
    ]);
    const reading = await readEInvoice(archive, 'batch.zip');
    expect(reading.files.map((f) => [f.name, f.archive, f.format])).to.deep.equal([
      ['a/IT01234567897_00001.xml', 'batch.zip', 'fatturapa'],
      ['IT01234567897_00002.xml.p7m', 'batch.zip', 'fatturapa'],
      ['peppol.XML', 'batch.zip', 'peppol-bis3'],
    ]);
    expect(reading.files[1]!.signature?.verified).to.equal(true);
    expect(reading.findings.map((f) => [f.rule, f.params.name])).to.deep.equal([
      ['zip.skipped', 'readme.txt'],
      ['zip.nested', 'inner.zip'],
    ]);
  });

  it('refuses ZIP bombs: too many entries, an entry too large, too much in all, an entry larger than declared', async () => {
    const many = zip(Array.from({ length: 5 }, (_, i) => ({ name: `${i}.xml`, data: fp(String(i)) })));
    const tooMany = await readEInvoice(many, 'many.zip', { ...zipLimits, entries: 4 });
    expect(tooMany.files).to.deep.equal([]);
    expect(tooMany.findings[0]).to.deep.include({
      rule: 'zip.too_many_entries',
      params: { name: 'many.zip', count: 5, max: 4 },
    });

    // 17 MB of spaces: 17 kB compressed; refused from its declared size, never inflated.
    const big = zip([{ name: 'big.xml', data: Buffer.alloc(17 * 1024 * 1024, 0x20) }]);
    expect(big.length).to.be.below(100_000);
    const tooBig = await readEInvoice(big, 'big.zip');
    expect(tooBig.files[0]!.findings[0]).to.deep.include({ rule: 'zip.entry_too_large' });

    const total = await readEInvoice(many, 'many.zip', { ...zipLimits, totalBytes: fp('0').length * 2 + 10 });
    expect(total.files).to.have.length(2);
    expect(total.findings.map((f) => f.rule)).to.deep.equal(['zip.too_large']);

    // Declares 100 bytes, inflates to 1 MB: stopped.
    const liar = zip([{ name: 'liar.xml', data: Buffer.alloc(1024 * 1024, 0x20), declaredSize: 100 }]);
    const lied = await readEInvoice(liar, 'liar.zip');
    expect(lied.files).to.deep.equal([]);
    expect(lied.findings[0]).to.deep.include({ severity: 'error', rule: 'zip.broken' });

    const truncated = await readEInvoice(many.subarray(0, many.length - 30), 'cut.zip');
    expect(truncated.findings[0]).to.deep.include({ severity: 'error', rule: 'zip.broken' });
  });
});
