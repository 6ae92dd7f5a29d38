import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AttributeTypeAndValue,
  Certificate,
  ContentInfo,
  CryptoEngine,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerInfo,
  setEngine,
} from 'pkijs';

/**
 * Enveloping CMS signatures (`.p7m`, the shape of a signed FatturaPA) made with node:crypto and
 * pkijs under a throwaway self-signed certificate generated on the spot: for the demo seed and
 * bench/einvoice, never for anything that must be trusted.
 */
export interface CmsSigner {
  subject: string;
  /** DER `ContentInfo(SignedData)` holding `content`. */
  sign(content: Uint8Array): Promise<Buffer>;
}

let engineSet = false;
function engine(): void {
  if (engineSet) return;
  setEngine('node', new CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));
  engineSet = true;
}

const name = (cn: string, org: string) =>
  [
    ['2.5.4.6', new asn1js.PrintableString({ value: 'IT' })],
    ['2.5.4.10', new asn1js.Utf8String({ value: org })],
    ['2.5.4.3', new asn1js.Utf8String({ value: cn })],
  ].map(
    ([type, value]) => new AttributeTypeAndValue({ type: type as string, value: value as asn1js.Utf8String }),
  );

export async function makeCmsSigner(cn = 'Mario Rossi', org = 'Rossi Trasporti'): Promise<CmsSigner> {
  engine();
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = new Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: Date.now() % 1_000_000_000 });
  cert.issuer.typesAndValues.push(...name(cn, org));
  cert.subject.typesAndValues.push(...name(cn, org));
  cert.notBefore.value = new Date(Date.now() - 60_000);
  cert.notAfter.value = new Date(Date.now() + 2 * 86_400_000);
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  await cert.sign(keys.privateKey, 'SHA-256');
  return {
    subject: `CN=${cn}, O=${org}, C=IT`,
    async sign(content) {
      const signed = new SignedData({
        version: 1,
        encapContentInfo: new EncapsulatedContentInfo({
          eContentType: '1.2.840.113549.1.7.1',
          eContent: new asn1js.OctetString({ valueHex: content }),
        }),
        signerInfos: [
          new SignerInfo({
            version: 1,
            sid: new IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
          }),
        ],
        certificates: [cert],
      });
      await signed.sign(keys.privateKey, 0, 'SHA-256');
      const info = new ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signed.toSchema(true) });
      return Buffer.from(info.toSchema().toBER(false));
    },
  };
}
