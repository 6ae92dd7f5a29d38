import { expect } from 'chai';
import { AppError } from '../../../server/errors/app-error.js';
import { looksSigned, MAX_P7M_BYTES, unwrapSigned } from '../../../server/domain/einvoices/unwrap-signed.js';
import { makeSigner, type Signer } from './openssl.js';

const xml = Buffer.from(
  `<?xml version="1.0" encoding="UTF-8"?>\n<p:FatturaElettronica versione="FPR12" xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2">${'<!-- riempitivo -->'.repeat(600)}</p:FatturaElettronica>\n`,
);

async function refusal(bytes: Uint8Array): Promise<AppError> {
  try {
    await unwrapSigned(bytes);
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a refusal');
}

describe('e-invoices: unwrapping a signed .p7m', function () {
  this.timeout(60_000);
  let signer: Signer;
  before(() => {
    signer = makeSigner();
  });
  after(() => signer.cleanup());

  it('unwraps DER and verifies the signature, reporting the signer and that it is not trusted', async () => {
    const p7m = signer.sign(xml);
    expect(p7m[0]).to.equal(0x30);
    expect(looksSigned(p7m)).to.equal(true);
    expect(looksSigned(xml)).to.equal(false);
    const before = Date.now() - 2_000;
    const { content, signature } = await unwrapSigned(p7m);
    expect(Buffer.from(content).equals(xml)).to.equal(true);
    const { signedAt, ...rest } = signature;
    expect(rest).to.deep.equal({
      signers: [signer.subject],
      verified: true,
      trusted: false,
      layers: 1,
      encoding: 'der',
    });
    // openssl adds the CAdES signingTime attribute (whole seconds).
    expect(Date.parse(signedAt!)).to.be.within(before, Date.now());
  });

  it('unwraps the streamed form (BER, indefinite lengths, content in chunks)', async () => {
    const p7m = signer.sign(xml, { stream: true });
    // Indefinite length right after the outer SEQUENCE tag, and the content cut in 4 KiB chunks:
    // the XML is not contiguous in the file, so searching for it would break.
    expect(p7m[1]).to.equal(0x80);
    expect(xml.length).to.be.greaterThan(8192);
    expect(p7m.includes(xml)).to.equal(false);
    const { content, signature } = await unwrapSigned(p7m);
    expect(Buffer.from(content).equals(xml)).to.equal(true);
    expect(signature.verified).to.equal(true);
  });

  it('unwraps a 5 MB streamed envelope (over a thousand chunks, content that looks like ASN.1)', async () => {
    // Text whose chunks start with bytes that read as ASN.1 tags ("x" is a constructed tag): a
    // decoder that tries to parse the chunks as embedded ASN.1 runs out of its node budget.
    const big = Buffer.from(`<?xml version="1.0"?><a>${`<b>${'x'.repeat(300)}</b>`.repeat(17_000)}</a>`);
    const p7m = signer.sign(big, { stream: true });
    const started = performance.now();
    const { content, signature } = await unwrapSigned(p7m);
    expect(Buffer.from(content).equals(big)).to.equal(true);
    expect(signature.verified).to.equal(true);
    expect(performance.now() - started).to.be.below(5_000);
  });

  it('refuses an envelope over the size limit before decoding it', async () => {
    const err = await refusal(Buffer.alloc(MAX_P7M_BYTES + 1, 0x30));
    expect(err.code).to.equal('payload_too_large');
    expect(err.messageKey).to.equal('einvoices.p7m.too_large');
  });

  it('unwraps base64 text (with line breaks, with or without a byte order mark) and PEM', async () => {
    const der = signer.sign(xml);
    const b64 = der.toString('base64').replace(/(.{64})/g, '$1\r\n');
    for (const text of [b64, `\ufeff${b64}`]) {
      const { content, signature } = await unwrapSigned(Buffer.from(text, 'utf8'));
      expect(Buffer.from(content).equals(xml)).to.equal(true);
      expect(signature.encoding).to.equal('base64');
      expect(signature.verified).to.equal(true);
    }
    const pem = signer.sign(xml, { form: 'PEM' });
    expect(pem.toString('latin1')).to.match(/^-----BEGIN CMS-----/);
    const fromPem = await unwrapSigned(pem);
    expect(Buffer.from(fromPem.content).equals(xml)).to.equal(true);
    expect(fromPem.signature.encoding).to.equal('pem');
    // The streamed form as PEM too.
    const streamedPem = await unwrapSigned(signer.sign(xml, { form: 'PEM', stream: true }));
    expect(Buffer.from(streamedPem.content).equals(xml)).to.equal(true);
    expect(streamedPem.signature.verified).to.equal(true);
  });

  it('unwraps nested signatures (a .p7m signed again) and reports every signer', async () => {
    const second = makeSigner('Studio Bianchi', 'Bianchi Commercialisti');
    try {
      const inner = signer.sign(xml, { stream: true });
      const outer = second.sign(inner);
      const { content, signature } = await unwrapSigned(outer);
      expect(Buffer.from(content).equals(xml)).to.equal(true);
      expect(signature.layers).to.equal(2);
      expect(signature.signers).to.deep.equal([second.subject, signer.subject]);
      expect(signature.verified).to.equal(true);
    } finally {
      second.cleanup();
    }
  });

  it('reports a tampered file (one content byte changed) as not verified, still naming the signer', async () => {
    const p7m = Buffer.from(signer.sign(xml));
    const at = p7m.indexOf('riempitivo');
    expect(at).to.be.greaterThan(0);
    p7m[at] = 'R'.charCodeAt(0);
    const { content, signature } = await unwrapSigned(p7m);
    expect(Buffer.from(content).toString('utf8')).to.contain('<!-- Riempitivo -->');
    expect(signature.verified).to.equal(false);
    expect(signature.signers).to.deep.equal([signer.subject]);
  });

  it('refuses a broken envelope with a clear message key, never a crash', async () => {
    const p7m = signer.sign(xml);
    expect((await refusal(p7m.subarray(0, 200))).messageKey).to.match(/^einvoices\.p7m\./);
    expect((await refusal(Buffer.from('not a signature at all <xml/>'))).messageKey).to.equal(
      'einvoices.p7m.not_cms',
    );
    // A valid DER SEQUENCE that is not CMS.
    expect((await refusal(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]))).messageKey).to.equal(
      'einvoices.p7m.not_cms',
    );
    const garbage = Buffer.from(p7m);
    garbage.fill(0xff, 20, 60);
    expect((await refusal(garbage)).messageKey).to.match(/^einvoices\.p7m\./);
  });
});
