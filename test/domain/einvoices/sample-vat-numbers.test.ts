import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkVat } from '../../../server/domain/tickets/vat.js';

const root = join(import.meta.dirname, '../../..');

/** The sources that write e-invoices and clients for the demo, the tests and the bench. */
const sources = [
  'server/seed/einvoice-samples.ts',
  'server/seed/demo-einvoices.ts',
  'server/seed/demo-data.ts',
  'bench/einvoice/run.ts',
];

/** Every VAT number a source writes: prefixed (`DK12345674`) or a FatturaPA country and code. */
function vatNumbersOf(text: string): string[] {
  const prefixed = [...text.matchAll(/\b(?:IT\d{11}|DK\d{8})\b/g)].map((m) => m[0]);
  const coded = [...text.matchAll(/country: '([A-Z]{2})', code: '(\d+)'/g)].map((m) => `${m[1]}${m[2]}`);
  return [...prefixed, ...coded];
}

/** VAT numbers in samples and fixtures must be valid (the buyer's DK87654322 was not). */
describe('e-invoices: the VAT numbers of the sample builders, the demo and the bench', () => {
  for (const source of sources)
    it(`${source}: every one passes the portal's own VAT check`, () => {
      const found = vatNumbersOf(readFileSync(join(root, source), 'utf8'));
      expect(found, 'the source writes VAT numbers').to.not.deep.equal([]);
      expect(found.filter((vat) => !checkVat(vat).ok)).to.deep.equal([]);
    });

  it('would catch the invalid Danish number the builder had', () => {
    expect(vatNumbersOf("vat: 'DK87654322'").map((v) => checkVat(v).ok)).to.deep.equal([false]);
  });
});
