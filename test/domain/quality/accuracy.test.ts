import { expect } from 'chai';
import { accuracyBy } from '../../../server/domain/quality/accuracy-report.js';
import { accuracyFromCounts, accuracyVerdict } from '../../../server/domain/quality/accuracy-verdict.js';
import { wilsonInterval, z95 } from '../../../server/domain/wilson-interval.js';

const pct = (x: number) => Math.round(x * 10_000) / 100;

describe('Wilson score interval and the accuracy verdict', () => {
  it('1 992 correct of 2 000 -> 99.60 %, 95 % interval 99.21 %..99.80 % (the issue and the bpo reference)', () => {
    const i = wilsonInterval(1992, 2000);
    expect(pct(i.estimate)).to.equal(99.6);
    expect(pct(i.lower)).to.equal(99.21);
    expect(pct(i.upper)).to.equal(99.8);
    expect(i.confidence).to.equal(0.95);
    const j = wilsonInterval(1990, 2000);
    expect([pct(j.lower), pct(j.upper)]).to.deep.equal([99.08, 99.73]);
  });

  it('edge cases: 0 of n, n of n, and no trials', () => {
    const none = wilsonInterval(0, 10);
    expect(none.lower).to.equal(0);
    expect(none.upper).to.be.closeTo(0.27753, 1e-5);
    const all = wilsonInterval(10, 10);
    expect(all.upper).to.equal(1);
    expect(all.lower).to.be.closeTo(0.72247, 1e-5);
    expect(wilsonInterval(0, 0)).to.include({ lower: 0, upper: 1, estimate: 0 });
    expect(wilsonInterval(1, 1).lower).to.be.closeTo(0.20655, 1e-5);
    expect(() => wilsonInterval(3, 2)).to.throw(RangeError);
    expect(() => wilsonInterval(-1, 2)).to.throw(RangeError);
    expect(() => wilsonInterval(1.5, 2)).to.throw(RangeError);
    expect(wilsonInterval(50, 100, 2.5758293035489).confidence).to.equal(0.99);
    expect(z95).to.be.closeTo(1.96, 1e-3);
  });

  it('breach only when the upper bound is below the target; at risk when only the lower bound is', () => {
    // Target 99.5 %: 1 992 of 2 000 is [99.21, 99.80]: the target is inside, at risk.
    expect(accuracyFromCounts({ correct: 1992, inspected: 2000, target: 0.995 }).verdict).to.equal('at-risk');
    // 1 975 of 2 000 (98.75 %) is about [98.16, 99.15]: below the target as a whole, a breach.
    const low = accuracyFromCounts({ correct: 1975, inspected: 2000, target: 0.995 });
    expect(low.verdict).to.equal('breach');
    expect(low.interval.upper).to.be.below(0.995);
    // 9 995 of 10 000: [99.88, 99.98]: met.
    expect(accuracyFromCounts({ correct: 9995, inspected: 10_000, target: 0.995 }).verdict).to.equal('met');
    // A perfect but small sample does not prove 99.5 %: 50 of 50 is [92.87, 100].
    expect(accuracyFromCounts({ correct: 50, inspected: 50, target: 0.995 }).verdict).to.equal('at-risk');
    // Boundaries: equal to a bound is not below it.
    expect(accuracyVerdict(0.99, { lower: 0.99, upper: 0.995 })).to.equal('met');
    expect(accuracyVerdict(0.99, { lower: 0.98, upper: 0.99 })).to.equal('at-risk');
    expect(accuracyVerdict(0.99, { lower: 0.98, upper: 0.9899 })).to.equal('breach');
    expect(() => accuracyVerdict(99.5, { lower: 0, upper: 1 })).to.throw(RangeError);
  });
});

describe('field accuracy by group', () => {
  it('adds up the checked fields per group, with the interval and verdict of each', () => {
    const rows = [
      { keyer: 'marco', field: 'vat', inspected: 1000, wrong: 2 },
      { keyer: 'marco', field: 'amount', inspected: 1000, wrong: 6 },
      { keyer: 'sara', field: 'vat', inspected: 2000, wrong: 25 },
      { keyer: 'luca', field: 'vat', inspected: 20, wrong: 0 },
    ];
    const byKeyer = accuracyBy(rows, (r) => r.keyer, 0.995);
    expect(byKeyer.map((r) => [r.group, r.inspected, r.correct, r.verdict])).to.deep.equal([
      ['luca', 20, 20, 'at-risk'], // too few fields to tell
      ['marco', 2000, 1992, 'at-risk'], // 99.21 %..99.80 %
      ['sara', 2000, 1975, 'breach'],
    ]);
    expect(pct(byKeyer[1]!.interval.lower)).to.equal(99.21);
    const byField = accuracyBy(rows, (r) => r.field, 0.994); // amount [98.70, 99.73], vat [98.70, 99.39]
    expect(byField.map((r) => [r.group, r.inspected, r.verdict])).to.deep.equal([
      ['amount', 1000, 'at-risk'],
      ['vat', 3020, 'breach'],
    ]);
    expect(() => accuracyBy([{ inspected: 1, wrong: 2 }], () => 'x', 0.9)).to.throw(RangeError);
  });
});
