import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalogue, locales } from '../../../server/i18n/i18n.js';
import { fromRoot } from '../../../server/paths.js';

/** Every `einvoices.*` and `einvoicerules.*` key the e-invoice code names (findings and errors pass them as arguments). */
function keysUsed(): Set<string> {
  const dir = fromRoot('server/domain/einvoices');
  const used = new Set<string>();
  for (const name of readdirSync(dir))
    for (const m of readFileSync(join(dir, name), 'utf8').matchAll(
      /'((?:einvoices|einvoicerules)\.[a-z0-9_.]+)'/g,
    ))
      if (m[1]) used.add(m[1]);
  return used;
}

function lookup(catalogue: Record<string, unknown>, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], catalogue);
}

describe('e-invoices: message catalogue', () => {
  it('has every key the e-invoice code uses, in en, it and da', () => {
    const used = keysUsed();
    expect(used.size).to.be.greaterThan(15);
    for (const locale of locales) {
      const catalogue = loadCatalogue(locale);
      // A counted message resolves through its plural forms (`key_one`, `key_other`).
      const missing = [...used].filter(
        (key) =>
          typeof lookup(catalogue, key) !== 'string' && typeof lookup(catalogue, `${key}_other`) !== 'string',
      );
      expect(missing, locale).to.deep.equal([]);
    }
  });
});
