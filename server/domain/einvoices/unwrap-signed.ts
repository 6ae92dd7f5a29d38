import * as asn1js from 'asn1js';
import { Certificate, ContentInfo, SignedData, SignedDataVerifyError } from 'pkijs';
import { AppError } from '../../errors/app-error.js';
import type { SignatureInfo } from './types.js';

/**
 * Unwraps a signed FatturaPA (`.xml.p7m`, CAdES-BES: a CMS SignedData with the XML enveloped)
 * with pkijs, never by searching the bytes for `<?xml` (that breaks on the streamed form, where
 * the content is cut in chunks with length headers between them).
 *
 * Accepted: DER, BER with indefinite lengths and the content as a constructed OCTET STRING
 * (`openssl cms -sign -stream`), the same as base64 text or PEM text (`-----BEGIN PKCS7-----`,
 * `-----BEGIN CMS-----`), and envelopes nested up to `MAX_SIGNATURE_LAYERS` deep (a `.p7m`
 * signed again). Each layer's signature is verified against the certificate it carries;
 * no trust list is configured, so a valid signature by any certificate (self-signed included) is
 * "verified, signer not trusted". A broken envelope is an AppError (`bad_request`) whose
 * `messageKey` says what is wrong; nothing here throws anything else.
 */

export const MAX_SIGNATURE_LAYERS = 5;
/** A .p7m holding an XML at its limit (10 MB), as base64 text, fits. */
export const MAX_P7M_BYTES = 16 * 1024 * 1024;
/**
 * BER decoding bounds (asn1js): the streamed form writes the content in chunks (openssl 4 KiB,
 * other tools as little as 1 000 bytes), one node each; asn1js's default of 10 000 nodes refuses a
 * 5 MB streamed invoice. Embedded OCTET STRING contents are not parsed as ASN.1 (the content is
 * XML; a nested envelope is decoded on its own).
 */
const BER_OPTIONS = { maxNodes: 100_000, maxContentLength: MAX_P7M_BYTES, parseEmbedded: false };
const SIGNED_DATA = '1.2.840.113549.1.7.2';

export interface UnwrapResult {
  /** The signed content (the XML file's bytes). */
  content: Uint8Array;
  signature: SignatureInfo;
}

const broken = (messageKey: string, message: string, params: Record<string, string | number> = {}) =>
  new AppError('bad_request', message, { messageKey, params });

const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/;
const PEM = /-----BEGIN [A-Z0-9 ]+-----([A-Za-z0-9+/=\s]+)-----END [A-Z0-9 ]+-----/;

/** The binary envelope in `bytes` and how it was written; `undefined` when it is not one at all. */
function binaryOf(bytes: Uint8Array): { der: Uint8Array; encoding: SignatureInfo['encoding'] } | undefined {
  if (bytes[0] === 0x30) return { der: bytes, encoding: 'der' };
  // Text: ASCII only (base64 or PEM), an optional UTF-8 byte order mark first.
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.byteLength - start).toString(
    'latin1',
  );
  const pem = PEM.exec(text);
  if (pem?.[1]) return { der: new Uint8Array(Buffer.from(pem[1], 'base64')), encoding: 'pem' };
  if (text.trim().length >= 16 && BASE64_TEXT.test(text)) {
    const der = new Uint8Array(Buffer.from(text, 'base64'));
    if (der[0] === 0x30) return { der, encoding: 'base64' };
  }
  return undefined;
}

/** Whether these bytes look like a CMS envelope (binary or base64/PEM text) rather than XML. */
export function looksSigned(bytes: Uint8Array): boolean {
  return binaryOf(bytes) !== undefined;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function signedDataOf(der: Uint8Array): SignedData {
  const asn1 = asn1js.fromBER(toArrayBuffer(der), BER_OPTIONS);
  if (asn1.offset === -1) {
    const detail = String(asn1.result.error).slice(0, 200);
    throw broken('einvoices.p7m.not_der', `not BER/DER: ${detail}`, { detail });
  }
  let info: ContentInfo;
  try {
    info = new ContentInfo({ schema: asn1.result });
  } catch (err) {
    throw broken('einvoices.p7m.not_cms', `not a CMS ContentInfo: ${(err as Error).message}`);
  }
  if (info.contentType !== SIGNED_DATA)
    throw broken('einvoices.p7m.not_signed_data', `CMS content type ${info.contentType}`, {
      type: info.contentType,
    });
  try {
    return new SignedData({ schema: info.content });
  } catch (err) {
    throw broken('einvoices.p7m.not_cms', `malformed SignedData: ${(err as Error).message}`);
  }
}

const names: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** A certificate subject as people read it: `CN=Mario Rossi, O=Rossi Trasporti, C=IT`. */
export function subjectOf(certificate: Certificate): string {
  return certificate.subject.typesAndValues
    .map((tv) => {
      const block = tv.value.valueBlock as { value?: unknown };
      const value = typeof block.value === 'string' ? block.value : '?';
      return `${names[tv.type] ?? tv.type}=${value}`;
    })
    .reverse()
    .join(', ');
}

/** The certificate the signer info names (issuer and serial number), if the envelope carries it. */
function signerCertificate(signed: SignedData): Certificate | undefined {
  const sid = signed.signerInfos[0]?.sid as unknown;
  for (const cert of signed.certificates ?? []) {
    if (!(cert instanceof Certificate)) continue;
    const s = sid as { issuer?: Certificate['issuer']; serialNumber?: asn1js.Integer };
    if (
      s.issuer &&
      s.serialNumber &&
      cert.issuer.isEqual(s.issuer) &&
      cert.serialNumber.isEqual(s.serialNumber)
    )
      return cert;
  }
  return undefined;
}

const SIGNING_TIME = '1.2.840.113549.1.9.5';

/** The first signer's signing time (a signed attribute), as ISO 8601. */
function signingTimeOf(signed: SignedData): string | undefined {
  const attribute = signed.signerInfos[0]?.signedAttrs?.attributes.find((a) => a.type === SIGNING_TIME);
  const value = attribute?.values[0] as { toDate?: () => Date } | undefined;
  const date = typeof value?.toDate === 'function' ? value.toDate() : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

/** Verifies every signer of one layer; the subjects of their certificates. */
async function verifyLayer(signed: SignedData): Promise<{ verified: boolean; subjects: string[] }> {
  if (signed.signerInfos.length === 0) throw broken('einvoices.p7m.no_signer', 'no signer info');
  let verified = true;
  const subjects: string[] = [];
  for (let i = 0; i < signed.signerInfos.length; i++) {
    let certificate: Certificate | undefined;
    try {
      const result = await signed.verify({ signer: i, extendedMode: true, checkChain: false });
      verified &&= result.signatureVerified === true;
      certificate = result.signerCertificate ?? undefined;
    } catch (err) {
      verified = false;
      if (err instanceof SignedDataVerifyError) certificate = err.signerCertificate ?? undefined;
    }
    certificate ??= i === 0 ? signerCertificate(signed) : undefined;
    subjects.push(certificate ? subjectOf(certificate) : '?');
  }
  return { verified, subjects };
}

/** The signed content of a `.p7m`, with who signed it and whether every signature verified. */
export async function unwrapSigned(bytes: Uint8Array): Promise<UnwrapResult> {
  if (bytes.byteLength > MAX_P7M_BYTES)
    throw new AppError('payload_too_large', 'p7m over its limit', {
      messageKey: 'einvoices.p7m.too_large',
      params: { size: bytes.byteLength, max: MAX_P7M_BYTES },
    });
  const outer = binaryOf(bytes);
  if (!outer) throw broken('einvoices.p7m.not_cms', 'neither DER, base64 nor PEM');
  let der = outer.der;
  const signers: string[] = [];
  let verified = true;
  let signedAt: string | undefined;
  for (let layer = 1; ; layer++) {
    const signed = signedDataOf(der);
    if (layer === 1) signedAt = signingTimeOf(signed);
    const content = signed.encapContentInfo.eContent;
    if (!content) throw broken('einvoices.p7m.detached', 'detached signature: the file is not inside');
    const { verified: ok, subjects } = await verifyLayer(signed);
    verified &&= ok;
    signers.push(...subjects);
    const inner = new Uint8Array(content.getValue());
    const nested = binaryOf(inner);
    if (!nested) {
      const signature: SignatureInfo = {
        signers,
        verified,
        trusted: false,
        layers: layer,
        encoding: outer.encoding,
      };
      if (signedAt) signature.signedAt = signedAt;
      return { content: inner, signature };
    }
    if (layer >= MAX_SIGNATURE_LAYERS)
      throw broken('einvoices.p7m.too_deep', 'too many nested signatures', { max: MAX_SIGNATURE_LAYERS });
    der = nested.der;
  }
}
