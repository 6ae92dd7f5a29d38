import yauzl from 'yauzl';
import { AppError } from '../../errors/app-error.js';
import { finding } from './findings.js';
import { parseXml } from './parse-xml.js';
import { isFatturaPA, readFatturaPA } from './read-fatturapa.js';
import { isUbl, readUbl } from './read-ubl.js';
import type { EInvoiceFile, EInvoiceReading, Finding } from './types.js';
import { looksSigned, unwrapSigned } from './unwrap-signed.js';

/**
 * The e-invoice intake's reading step: the bytes of one uploaded or attached file and its name in,
 * every invoice in it out, with findings. A ZIP is opened (yauzl) and each `.xml` and `.p7m` in
 * it read the same way; a `.p7m` (binary, base64 or PEM; found by its content, not only its
 * name) is unwrapped and its signature verified (unwrap-signed.ts); the XML is parsed safely
 * (parse-xml.ts) and read as FatturaPA or UBL by its root element.
 *
 * Nothing a file holds makes this throw: what cannot be read is an `error` finding on that file
 * (or, for the ZIP itself, on the reading). Limits against ZIP bombs: at most `MAX_ZIP_ENTRIES`
 * entries, each at most `MAX_ZIP_ENTRY_BYTES` uncompressed, all together at most
 * `MAX_ZIP_TOTAL_BYTES`; the sizes a ZIP declares are checked before inflating and the bytes
 * inflated are counted against them (yauzl refuses an entry larger than it declared).
 */

export const MAX_ZIP_ENTRIES = 1000;
/** An XML at its limit, signed and as base64 text, fits (10 MB x 4/3 plus the envelope). */
export const MAX_ZIP_ENTRY_BYTES = 16 * 1024 * 1024;
export const MAX_ZIP_TOTAL_BYTES = 200 * 1024 * 1024;

export interface ZipLimits {
  entries: number;
  entryBytes: number;
  totalBytes: number;
}
export const zipLimits: ZipLimits = {
  entries: MAX_ZIP_ENTRIES,
  entryBytes: MAX_ZIP_ENTRY_BYTES,
  totalBytes: MAX_ZIP_TOTAL_BYTES,
};

const isZip = (bytes: Uint8Array) =>
  bytes[0] === 0x50 &&
  bytes[1] === 0x4b &&
  (bytes[2] === 0x03 || bytes[2] === 0x05) &&
  (bytes[3] === 0x04 || bytes[3] === 0x06);

/**
 * A refusal's rule id: its key without the area, except where the message got a new key and the
 * rule keeps the id it was first published with (overrides and receivers name findings by it).
 */
const renamedRules: Record<string, string> = { 'xml.not_well_formed': 'xml.malformed' };
const ruleOf = (messageKey: string): string => {
  const rule = messageKey.slice('einvoices.'.length);
  return renamedRules[rule] ?? rule;
};

/** An error thrown while reading, as a finding (a key of ours when it is an AppError from here). */
function findingOf(err: unknown): Finding {
  if (err instanceof AppError && err.messageKey.startsWith('einvoices.')) {
    const { line, column } = err.params;
    const location =
      typeof line === 'number' && line > 0
        ? { line, ...(typeof column === 'number' && column > 0 ? { column } : {}) }
        : undefined;
    return finding('error', ruleOf(err.messageKey), err.messageKey, err.params, location);
  }
  const detail = (err instanceof Error ? err.message : String(err)).slice(0, 200);
  return finding('error', 'file.unreadable', 'einvoices.file.unreadable', { detail });
}

/** One XML or .p7m file. */
async function readFile(bytes: Uint8Array, name: string): Promise<EInvoiceFile> {
  const file: EInvoiceFile = { name, invoices: [], findings: [] };
  try {
    let content = bytes;
    if (!looksSigned(bytes) && /\.p7m$/i.test(name))
      // Named as signed but not an envelope at all: read as it is, and say so.
      file.findings.push(finding('warning', 'p7m.unsigned', 'einvoices.p7m.unsigned', { name }));
    else if (looksSigned(bytes)) {
      const unwrapped = await unwrapSigned(bytes);
      content = unwrapped.content;
      file.signature = unwrapped.signature;
      const signers = unwrapped.signature.signers.join('; ');
      file.findings.push(
        unwrapped.signature.verified
          ? finding('info', 'p7m.not_trusted', 'einvoices.p7m.verified_not_trusted', { signers })
          : finding('warning', 'p7m.not_verified', 'einvoices.p7m.not_verified', { signers }),
      );
    }
    const { document, text } = parseXml(content);
    file.source = { bytes: content, text, root: document.documentElement.localName ?? '' };
    if (isFatturaPA(document)) {
      const reading = readFatturaPA(document);
      file.format = 'fatturapa';
      file.invoices = reading.invoices;
      file.findings.push(...reading.findings);
    } else if (isUbl(document)) {
      const reading = readUbl(document);
      file.format = reading.format;
      file.invoices = reading.invoices;
      file.findings.push(...reading.findings);
    } else {
      const root = document.documentElement;
      file.findings.push(
        finding('error', 'file.format', 'einvoices.file.format', {
          root: root.localName ?? root.nodeName,
          namespace: root.namespaceURI ?? '',
        }),
      );
    }
  } catch (err) {
    file.findings.push(findingOf(err));
  }
  return file;
}

const openZip = (buffer: Buffer) =>
  new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(
      buffer,
      { lazyEntries: true, validateEntrySizes: true, strictFileNames: false },
      (err, zip) => (err ? reject(err) : resolve(zip)),
    ),
  );

/** An entry's bytes, refusing more than `max` (whatever the entry declared). */
const readEntry = (zip: yauzl.ZipFile, entry: yauzl.Entry, max: number) =>
  new Promise<Buffer>((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          stream.destroy(
            new AppError('payload_too_large', 'zip entry over its limit', {
              messageKey: 'einvoices.zip.entry_too_large',
              params: { max },
            }),
          );
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });

/** A file entry that is not read: its name and why. */
const refusedFile = (name: string, archive: string, refusal: Finding): EInvoiceFile => ({
  name,
  archive,
  invoices: [],
  findings: [refusal],
});

/** The state of one ZIP's reading, shared by its entries. */
interface ZipRun {
  zip: yauzl.ZipFile;
  archive: string;
  limits: ZipLimits;
  reading: EInvoiceReading;
  /** The uncompressed bytes declared so far. */
  total: number;
}

/** One entry: read, skipped or refused. Returns false when the reading must stop (total too large). */
async function readZipEntry(run: ZipRun, entry: yauzl.Entry): Promise<boolean> {
  const { reading, archive, limits } = run;
  const name = entry.fileName;
  if (name.endsWith('/') || /(^|\/)(__MACOSX\/|\.)/.test(name)) return true;
  if (/\.zip$/i.test(name)) {
    reading.findings.push(finding('info', 'zip.nested', 'einvoices.zip.nested', { name }));
    return true;
  }
  if (!/\.(xml|p7m)$/i.test(name)) {
    reading.findings.push(finding('info', 'zip.skipped', 'einvoices.zip.skipped', { name }));
    return true;
  }
  if (entry.isEncrypted()) {
    reading.files.push(
      refusedFile(name, archive, finding('error', 'zip.encrypted', 'einvoices.zip.encrypted', { name })),
    );
    return true;
  }
  if (entry.uncompressedSize > limits.entryBytes) {
    reading.files.push(
      refusedFile(
        name,
        archive,
        finding('error', 'zip.entry_too_large', 'einvoices.zip.entry_too_large', {
          name,
          size: entry.uncompressedSize,
          max: limits.entryBytes,
        }),
      ),
    );
    return true;
  }
  run.total += entry.uncompressedSize;
  if (run.total > limits.totalBytes) {
    reading.findings.push(
      finding('error', 'zip.too_large', 'einvoices.zip.too_large', { name: archive, max: limits.totalBytes }),
    );
    return false;
  }
  const content = await readEntry(run.zip, entry, Math.min(entry.uncompressedSize, limits.entryBytes));
  reading.files.push({ ...(await readFile(content, name)), archive });
  return true;
}

/** Every entry in turn (lazily: the next is read when this one is done). */
const readZipEntries = (run: ZipRun) =>
  new Promise<void>((resolve, reject) => {
    const next = () => run.zip.readEntry();
    run.zip.on('error', reject);
    run.zip.on('end', () => resolve());
    run.zip.on('entry', (entry: yauzl.Entry) => {
      readZipEntry(run, entry)
        .then((more) => (more ? next() : resolve()))
        .catch(reject);
    });
    next();
  });

const brokenZip = (archive: string, err: unknown) =>
  finding('error', 'zip.broken', 'einvoices.zip.broken', {
    name: archive,
    detail: String((err as Error).message).slice(0, 200),
  });

async function readZip(bytes: Uint8Array, archive: string, limits: ZipLimits): Promise<EInvoiceReading> {
  const reading: EInvoiceReading = { files: [], findings: [] };
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    reading.findings.push(brokenZip(archive, err));
    return reading;
  }
  try {
    if (zip.entryCount > limits.entries) {
      reading.findings.push(
        finding('error', 'zip.too_many_entries', 'einvoices.zip.too_many_entries', {
          name: archive,
          count: zip.entryCount,
          max: limits.entries,
        }),
      );
      return reading;
    }
    await readZipEntries({ zip, archive, limits, reading, total: 0 });
  } catch (err) {
    reading.findings.push(brokenZip(archive, err));
  } finally {
    zip.close();
  }
  return reading;
}

/**
 * Reads an uploaded or attached e-invoice file: XML, signed `.p7m` or a ZIP of them (`limits`
 * only for tests that check them cheaply).
 */
export async function readEInvoice(
  bytes: Uint8Array,
  filename: string,
  limits: ZipLimits = zipLimits,
): Promise<EInvoiceReading> {
  if (isZip(bytes)) return readZip(bytes, filename, limits);
  return { files: [await readFile(bytes, filename)], findings: [] };
}
