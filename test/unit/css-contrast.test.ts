import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { fromRoot } from '../../server/paths.js';

/** WCAG 2 relative luminance and contrast ratio of two #rgb/#rrggbb colours. */
function luminance(hex: string): number {
  let h = hex.slice(1);
  if (h.length === 3) h = [...h].map((c) => c + c).join('');
  const [r, g, b] = [0, 2, 4]
    .map((i) => parseInt(h.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const cssDir = fromRoot('public', 'css');
const sheets = readdirSync(cssDir)
  .filter((f) => f.endsWith('.css'))
  .map((f) => ({ file: f, text: readFileSync(join(cssDir, f), 'utf8') }));
const vars = new Map<string, string>();
for (const { text } of sheets)
  for (const m of text.matchAll(/(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})\b/g)) vars.set(m[1]!, m[2]!.toLowerCase());
const resolve = (value: string): string | null => {
  const v = value.trim().replace(/\s*!important$/, '');
  const ref = /^var\((--[\w-]+)\)$/.exec(v);
  if (ref) return vars.get(ref[1]!) ?? null;
  return /^#[0-9a-fA-F]{3,6}$/.test(v) ? v.toLowerCase() : null;
};

/**
 * Every rule of public/css that sets a text colour: against its own background when it sets one,
 * else against the page and card backgrounds it is shown on. WCAG AA for normal text: 4.5:1.
 */
describe('colour contrast of the style sheets', () => {
  it('gives every text colour at least 4.5:1 against its background', () => {
    const pageBackgrounds = [vars.get('--bg')!, vars.get('--card')!];
    expect(pageBackgrounds.every(Boolean)).to.equal(true);
    const low: string[] = [];
    let checked = 0;
    for (const { file, text } of sheets) {
      for (const rule of text.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
        const selector = rule[1]!.trim();
        const decls = new Map(
          [...rule[2]!.matchAll(/(?:^|;)\s*([\w-]+)\s*:\s*([^;]+)/g)].map((d) => [d[1]!, d[2]!]),
        );
        const fg = decls.has('color') ? resolve(decls.get('color')!) : null;
        if (!fg || selector.startsWith(':root') || /topbar|brand|^\.nav/.test(selector)) continue;
        const bgRaw = decls.get('background') ?? decls.get('background-color');
        const bg = bgRaw ? resolve(bgRaw) : null;
        for (const against of bg ? [bg] : pageBackgrounds) {
          checked++;
          const ratio = contrast(fg, against);
          if (ratio < 4.5) low.push(`${file}: ${selector} ${fg} on ${against} = ${ratio.toFixed(2)}:1`);
        }
      }
    }
    // The dark top bar: its links and buttons on #132a4d.
    for (const fg of ['#ffffff', '#dfe8f7']) if (contrast(fg, '#132a4d') < 4.5) low.push(`topbar ${fg}`);
    expect(checked).to.be.greaterThan(20);
    expect(low, low.join('\n')).to.deep.equal([]);
  });

  it('computes the WCAG ratio', () => {
    expect(contrast('#000000', '#ffffff')).to.be.closeTo(21, 0.01);
    expect(contrast('#777777', '#ffffff')).to.be.closeTo(4.48, 0.01);
  });
});
