import { DOMParser } from '@xmldom/xmldom';
import { AppError } from '../../errors/app-error.js';
import { parserProblem } from './xml-problems.js';

/**
 * Safe XML for e-invoices. In order, before anything is parsed:
 *
 * 1. size: at most `MAX_XML_BYTES` (10 MB). A FatturaPA with 10 000 lines is about 5 MB; the SdI
 *    itself takes files up to 5 MB, Peppol access points commonly 10 MB or more, so 10 MB holds
 *    every real invoice and bounds the memory one file can take (the DOM is ~10x the text);
 * 2. encoding: the byte order mark, else the XML declaration's `encoding`, else UTF-8 (the XML
 *    default), decoded with `TextDecoder` in fatal mode: UTF-8, UTF-16 (LE/BE), ISO-8859-1 and
 *    windows-1252 (and whatever else the WHATWG Encoding Standard knows); bytes that are not
 *    valid in the declared encoding are refused, never replaced;
 * 3. no DOCTYPE at all: e-invoices never need one, and refusing it refuses every external
 *    entity (XXE) and entity expansion ("billion laughs") before a parser could act on them.
 *
 * Then a namespace-aware DOM (@xmldom/xmldom) with the line and column of each element
 * (`lineNumber`, `columnNumber`) for findings. Anything refused is an AppError with a key of the
 * `einvoices.xml` catalogue.
 */
export const MAX_XML_BYTES = 10 * 1024 * 1024;

export interface ParsedXml {
  document: Document;
  /** The encoding the text was decoded with (a WHATWG label, e.g. `utf-8`, `windows-1252`). */
  encoding: string;
  /** The decoded text (what the rule sets of validate-einvoice.ts read). */
  text: string;
}

const refused = (
  code: 'bad_request' | 'payload_too_large',
  messageKey: string,
  message: string,
  params: Record<string, string | number> = {},
) => new AppError(code, message, { messageKey, params });

/** The encoding label of these bytes and where the text starts (after the byte order mark). */
function encodingOf(bytes: Uint8Array): { label: string; start: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { label: 'utf-8', start: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { label: 'utf-16le', start: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { label: 'utf-16be', start: 2 };
  // UTF-16 without a mark: `<?` as two-byte units.
  if (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f && bytes[3] === 0x00)
    return { label: 'utf-16le', start: 0 };
  if (bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00 && bytes[3] === 0x3f)
    return { label: 'utf-16be', start: 0 };
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 256)).toString(
    'latin1',
  );
  const declared = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head)?.[1];
  return { label: declared ?? 'utf-8', start: 0 };
}

/**
 * windows-1252 bytes 0x80-0x9F (WHATWG index; the five unassigned ones map to the C1 controls).
 * Node 20's TextDecoder decodes the label `windows-1252` (and `iso-8859-1`, its WHATWG alias)
 * as Latin-1, turning "€" (0x80) into U+0080: decoded here instead.
 */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function decodeWindows1252(bytes: Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return latin1.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

function decode(bytes: Uint8Array): { text: string; encoding: string } {
  const { label, start } = encodingOf(bytes);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
  } catch {
    throw refused('bad_request', 'einvoices.xml.encoding_unknown', `unknown encoding ${label}`, {
      encoding: label,
    });
  }
  if (decoder.encoding === 'windows-1252')
    return { text: decodeWindows1252(bytes.subarray(start)), encoding: decoder.encoding };
  try {
    return { text: decoder.decode(bytes.subarray(start)), encoding: decoder.encoding };
  } catch {
    throw refused('bad_request', 'einvoices.xml.encoding_invalid', `bytes not valid in ${label}`, {
      encoding: decoder.encoding,
    });
  }
}

/** The line and column (1-based) of offset `at` in `text`. */
function position(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: at - lineStart + 1 };
}

/** Parses an e-invoice's bytes as XML, refusing what is unsafe (see above). */
export function parseXml(bytes: Uint8Array, maxBytes = MAX_XML_BYTES): ParsedXml {
  if (bytes.byteLength > maxBytes)
    throw refused('payload_too_large', 'einvoices.xml.too_large', `XML over ${maxBytes} bytes`, {
      size: bytes.byteLength,
      max: maxBytes,
    });
  const { text, encoding } = decode(bytes);
  // Before parsing: no document type declaration (where entities live), nor an entity declaration
  // anywhere; also when written in a comment, which is refused rather than parsed around.
  const doctype = /<!(DOCTYPE|ENTITY)/i.exec(text);
  if (doctype)
    throw refused('bad_request', 'einvoices.xml.doctype', 'DOCTYPE refused', {
      ...position(text, doctype.index),
    });
  // The first error stops the parse (xmldom turns what onError throws into a ParseError).
  let problem: { detail: string; line: number; column: number } | undefined;
  let document: Document | undefined;
  try {
    document = new DOMParser({
      locator: true,
      onError: (level, message, context) => {
        if (level === 'warning') return;
        const at = (context as { locator?: { lineNumber?: number; columnNumber?: number } } | undefined)
          ?.locator;
        problem ??= { detail: message, line: at?.lineNumber ?? 0, column: at?.columnNumber ?? 0 };
        throw new Error(message);
      },
    }).parseFromString(text, 'application/xml') as unknown as Document;
  } catch (err) {
    problem ??= { detail: (err as Error).message, line: 0, column: 0 };
  }
  if (problem || !document?.documentElement) {
    const detail = (problem?.detail ?? 'no root element').split('\n')[0]!.slice(0, 300);
    // The parser's English read as a problem people get in their language; its own text kept as `detail`.
    throw refused('bad_request', 'einvoices.xml.not_well_formed', `malformed XML: ${detail}`, {
      ...parserProblem(detail),
      detail,
      line: problem?.line ?? 0,
      column: problem?.column ?? 0,
    });
  }
  return { document, encoding, text };
}
