import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { locales, t } from '../../server/i18n/i18n.js';
import { fromRoot } from '../../server/paths.js';

function templates(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? templates(path) : name.endsWith('.hbs') ? [path] : [];
  });
}

/**
 * A table whose columns read alike in a language cannot be read in it (found by the outside test:
 * the webhook attempts' "Answer" and "Response" columns were both "Risposta" in Italian and
 * "Svar" in Danish). Every table head of every view, its translated headings, in every language.
 */
describe('table headings', () => {
  const heads = templates(fromRoot('views')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/<thead>([\s\S]*?)<\/thead>/g)].map((m, i) => ({
      where: `${relative(fromRoot('views'), file)} #${i + 1}`,
      keys: [...(m[1] ?? '').matchAll(/<th[^>]*>\s*\{\{t "([^"]+)"\}\}\s*<\/th>/g)].map(
        (k) => k[1] as string,
      ),
    })),
  );

  it('finds the table heads of the views', () => {
    expect(heads.filter((h) => h.keys.length > 1).length).to.be.above(10);
  });

  for (const locale of locales) {
    it(`reads every table's column headings apart in ${locale}`, () => {
      const clashes = heads.flatMap(({ where, keys }) => {
        const seen = new Map<string, string>();
        return keys.flatMap((key) => {
          const text = t(locale, key).trim().toLowerCase();
          const other = seen.get(text);
          seen.set(text, key);
          return other && other !== key ? [`${where}: ${other} and ${key} both read "${text}"`] : [];
        });
      });
      expect(clashes).to.deep.equal([]);
    });
  }
});
