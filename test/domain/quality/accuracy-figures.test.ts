import { expect } from 'chai';
import { layoutAccuracy } from '../../../server/domain/quality/client-accuracy.js';
import { fieldChecksOf } from '../../../server/domain/quality/lot-field-checks.js';
import {
  accuracyPct,
  accuracyPageTables,
  accuracyRows,
} from '../../../server/domain/reports/accuracy-tables.js';

/** Issue #18 item 5: accuracy figures as the reports show them (pure parts). */
describe('field accuracy figures and their tables', () => {
  const labels = new Map([
    ['vat', 'Supplier VAT'],
    ['amount', 'Amount'],
  ]);

  it('counts every field of every sampled record per field and keyer', () => {
    const checks = fieldChecksOf(
      ['vat', 'amount'],
      [
        { keyer: { id: 'a', name: 'Anna' }, wrong: ['vat'] },
        { keyer: { id: 'a', name: 'Anna' }, wrong: [] },
        { keyer: { id: 'b', name: 'Bo' }, wrong: ['vat', 'amount'] },
      ],
    );
    expect(checks).to.deep.equal([
      { field: 'vat', keyerId: 'a', keyerName: 'Anna', inspected: 2, wrong: 1 },
      { field: 'amount', keyerId: 'a', keyerName: 'Anna', inspected: 2, wrong: 0 },
      { field: 'vat', keyerId: 'b', keyerName: 'Bo', inspected: 1, wrong: 1 },
      { field: 'amount', keyerId: 'b', keyerName: 'Bo', inspected: 1, wrong: 1 },
    ]);
  });

  it('gives 1 992 of 2 000 as 99.21 % .. 99.80 %, at risk against 99.5 %, in page and CSV', () => {
    const acc = layoutAccuracy(
      { id: 'L1', name: 'Delivery notes', target: 0.995, labels },
      {
        records: 1000,
        checks: [
          { field: 'vat', keyerId: 'a', keyerName: 'Anna', inspected: 1000, wrong: 5 },
          { field: 'amount', keyerId: 'a', keyerName: 'Anna', inspected: 600, wrong: 1 },
          { field: 'amount', keyerId: 'b', keyerName: 'Bo', inspected: 400, wrong: 2 },
        ],
      },
    );
    expect(acc).to.include({ inspected: 2000, correct: 1992, verdict: 'at-risk', records: 1000 });
    expect(accuracyPct(acc.interval.lower, 'en')).to.equal('99.21 %');
    expect(accuracyPct(acc.interval.upper, 'en')).to.equal('99.80 %');
    expect(accuracyPct(acc.interval.upper, 'it')).to.equal('99,80 %');
    expect(acc.fields.map((f) => [f.label, f.inspected, f.correct, f.verdict])).to.deep.equal([
      ['Amount', 1000, 997, 'at-risk'],
      ['Supplier VAT', 1000, 995, 'at-risk'],
    ]);
    expect(acc.keyers.map((k) => [k.keyer.name, k.inspected, k.correct])).to.deep.equal([
      ['Anna', 1600, 1594],
      ['Bo', 400, 398],
    ]);
    const report = {
      layouts: [acc],
      records: { keyed: 0, inspected: 0, accepted: 0, reworked: 0 },
      breaches: [],
    };
    const page = accuracyPageTables(report, 'en');
    expect(page.layouts[0]).to.include({
      label: 'Delivery notes',
      target: '99.50 %',
      inspected: '2,000',
      accuracy: '99.60 %',
      interval: '99.21 % – 99.80 %',
      verdict: 'At risk',
    });
    const rows = accuracyRows(report, 'en');
    expect(rows[1]).to.deep.equal([
      'layout',
      'Delivery notes',
      'all fields',
      0.995,
      2000,
      1992,
      0.996,
      0.9921,
      0.998,
      'At risk',
    ]);
  });

  it('breaches only when the whole interval is below the target; no verdict without a target', () => {
    const of = (wrong: number, target: number | null) =>
      layoutAccuracy(
        { id: 'L', name: 'L', target, labels },
        { records: 100, checks: [{ field: 'vat', keyerId: null, keyerName: '', inspected: 2000, wrong }] },
      ).verdict;
    expect(of(25, 0.995)).to.equal('breach');
    expect(of(8, 0.995)).to.equal('at-risk');
    expect(of(0, 0.995)).to.equal('met');
    expect(of(25, null)).to.equal(null);
    const empty = layoutAccuracy({ id: 'L', name: 'L', target: 0.995, labels }, { records: 0, checks: [] });
    expect(empty).to.include({ inspected: 0, verdict: null });
  });
});
