import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalogue, locales, t } from '../../server/i18n/i18n.js';
import { fromRoot } from '../../server/paths.js';

function keysOf(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keysOf(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, ext) : ext.test(name) ? [path] : [];
  });
}

describe('translation catalogues', () => {
  const en = new Set(keysOf(loadCatalogue('en')));

  for (const locale of locales) {
    it(`${locale} has exactly the English keys, none empty`, () => {
      const catalogue = loadCatalogue(locale);
      expect(keysOf(catalogue).sort()).to.deep.equal([...en].sort());
      for (const key of en) expect(t(locale, key), `${locale}:${key}`).to.not.equal('');
    });
  }

  it('has every literal key used by templates and code', () => {
    const sources = [...filesUnder(fromRoot('views'), /\.hbs$/), ...filesUnder(fromRoot('server'), /\.ts$/)];
    const used = new Set<string>();
    const patterns = [
      /\{\{t "([a-z_.]+)"/g,
      /\(t "([a-z_.]+)"/g,
      /(?:messageKey|key): '([a-z_]+\.[a-z_.]+)'/g,
      /t\([^,()]+, '([a-z_]+\.[a-z_.]+)'/g,
    ];
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      for (const re of patterns) for (const m of text.matchAll(re)) if (m[1]) used.add(m[1]);
    }
    expect(used.size).to.be.greaterThan(50);
    // A key with plural forms (`_one`, `_other`) is used by its base name with a count.
    const missing = [...used].filter((k) => !en.has(k) && !en.has(`${k}_one`));
    expect(missing).to.deep.equal([]);
  });

  it('interpolates parameters', () => {
    expect(t('it', 'home.greeting', { name: 'Chiara' })).to.equal('Ciao, Chiara');
    expect(t('da', 'validation.too_short', { min: 10 })).to.equal('Mindst 10 tegn.');
  });
});
