import { expect } from 'chai';
import {
  drawAlgorithm,
  drawSample,
  newSeed,
  seededStream,
} from '../../../server/domain/quality/draw-sample.js';

describe('seeded sample draw (Floyd over HMAC-SHA256 counter mode)', () => {
  it('repeats the same sample from the same seed, and matches an independent implementation', () => {
    const a = drawSample({ lotSize: 100, sampleSize: 5, seed: 'demo-seed-2026' });
    const b = drawSample({ lotSize: 100, sampleSize: 5, seed: 'demo-seed-2026' });
    expect(a).to.deep.equal(b);
    expect(a.algorithm).to.equal(drawAlgorithm);
    // Computed with Python's hmac/hashlib from the description in draw-sample.ts.
    expect(a.indices).to.deep.equal([21, 25, 46, 71, 75]);
    const big = drawSample({ lotSize: 2000, sampleSize: 125, seed: '0123456789abcdef0123456789abcdef' });
    expect(big.indices.slice(0, 10)).to.deep.equal([44, 86, 100, 105, 108, 124, 146, 149, 153, 171]);
  });

  it('draws a different sample from a different seed, and makes a fresh 128-bit seed when none is given', () => {
    const a = drawSample({ lotSize: 10_000, sampleSize: 200, seed: 'seed-a' });
    const b = drawSample({ lotSize: 10_000, sampleSize: 200, seed: 'seed-b' });
    expect(a.indices).to.not.deep.equal(b.indices);
    const fresh = drawSample({ lotSize: 10_000, sampleSize: 200 });
    expect(fresh.seed).to.match(/^[0-9a-f]{32}$/);
    expect(drawSample({ lotSize: 10_000, sampleSize: 200, seed: fresh.seed }).indices).to.deep.equal(
      fresh.indices,
    );
    expect(newSeed()).to.not.equal(newSeed());
  });

  it('returns n distinct indices in range, ascending; n = N is the whole lot and n = 0 is empty', () => {
    const s = drawSample({ lotSize: 500, sampleSize: 50, seed: 'x' });
    expect(s.indices).to.have.length(50);
    expect(new Set(s.indices).size).to.equal(50);
    expect(s.indices.every((i, k) => i >= 0 && i < 500 && (k === 0 || i > s.indices[k - 1]!))).to.equal(true);
    expect(drawSample({ lotSize: 8, sampleSize: 8, seed: 'x' }).indices).to.deep.equal([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(drawSample({ lotSize: 8, sampleSize: 0, seed: 'x' }).indices).to.deep.equal([]);
    expect(() => drawSample({ lotSize: 8, sampleSize: 9, seed: 'x' })).to.throw(RangeError);
    expect(() => drawSample({ lotSize: 8, sampleSize: 2, seed: '' })).to.throw(RangeError);
  });

  it('is uniform: every item is drawn about equally often (chi-square smoke test)', () => {
    // 4 000 draws of 5 out of 20: each item expected 1 000 times. With 19 degrees of freedom the
    // chi-square statistic exceeds 43.8 with probability 0.001; the seeds are fixed, so the
    // outcome is deterministic.
    const lot = 20;
    const counts = new Array<number>(lot).fill(0);
    for (let d = 0; d < 4000; d++) {
      for (const i of drawSample({ lotSize: lot, sampleSize: 5, seed: `uniformity-${d}` }).indices)
        counts[i]! += 1;
    }
    const expected = (4000 * 5) / lot;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi2).to.be.below(43.8);
    // Pairs too: the subsets of 2 out of 6 (15 of them) come up about equally often.
    const pairs = new Map<string, number>();
    for (let d = 0; d < 3000; d++) {
      const key = drawSample({ lotSize: 6, sampleSize: 2, seed: `pairs-${d}` }).indices.join(',');
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
    expect(pairs.size).to.equal(15);
    const chi2Pairs = [...pairs.values()].reduce((sum, c) => sum + (c - 200) ** 2 / 200, 0);
    expect(chi2Pairs).to.be.below(36.1); // 14 degrees of freedom, p = 0.001
  });

  it('integers below m have no modulo bias and stay in range', () => {
    const stream = seededStream('bias');
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[stream.below(3)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).to.be.below(600);
    expect(() => stream.below(0)).to.throw(RangeError);
  });
});
