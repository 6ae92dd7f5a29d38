import { expect } from 'chai';
import { planForLot } from '../../../server/domain/quality/plan-for-lot.js';
import {
  aqlValues,
  codeLetterFor,
  inspectionLevels,
  lotSizeRanges,
  resolvePlan,
  sampleSizes,
  tableCell,
  type CodeLetter,
} from '../../../server/domain/quality/sampling-tables.js';

/**
 * Expected values: ISO 2859-1:1999 Table 1 and Tables 2-A / 2-B (the same plans as ANSI/ASQ Z1.4
 * Tables I, II-A, II-B), as (sample size, Ac, Re) after following the arrows, one entry per
 * lot-size range of Table 1 at general inspection level II. These rows were taken from an
 * independent transcription (the resolved ANSI/ASQ Z1.4 matrices of J. Lawson's R package
 * AQLSchemes), not generated from sampling-tables.ts; the AQL 1.0 column also matches the cited
 * values of the project's BPO reference notes (MIL-STD-105E Tables I and II-A).
 */
// prettier-ignore
const ranges: [number, number | null][] = [
  [2, 8], [9, 15], [16, 25], [26, 50], [51, 90], [91, 150], [151, 280], [281, 500], [501, 1200], [1201, 3200],
  [3201, 10000], [10001, 35000], [35001, 150000], [150001, 500000], [500001, null],
];

const levelII: CodeLetter[] = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P', 'Q'];

type Row = [number, number, number][];
// prettier-ignore
const normal: Record<string, Row> = {
  '0.65': [[20, 0, 1], [20, 0, 1], [20, 0, 1], [20, 0, 1], [20, 0, 1], [20, 0, 1], [20, 0, 1], [80, 1, 2], [80, 1, 2], [125, 2, 3], [200, 3, 4], [315, 5, 6], [500, 7, 8], [800, 10, 11], [1250, 14, 15]],
  '1': [[13, 0, 1], [13, 0, 1], [13, 0, 1], [13, 0, 1], [13, 0, 1], [13, 0, 1], [50, 1, 2], [50, 1, 2], [80, 2, 3], [125, 3, 4], [200, 5, 6], [315, 7, 8], [500, 10, 11], [800, 14, 15], [1250, 21, 22]],
  '2.5': [[5, 0, 1], [5, 0, 1], [5, 0, 1], [5, 0, 1], [20, 1, 2], [20, 1, 2], [32, 2, 3], [50, 3, 4], [80, 5, 6], [125, 7, 8], [200, 10, 11], [315, 14, 15], [500, 21, 22], [500, 21, 22], [500, 21, 22]],
  '4': [[3, 0, 1], [3, 0, 1], [3, 0, 1], [13, 1, 2], [13, 1, 2], [20, 2, 3], [32, 3, 4], [50, 5, 6], [80, 7, 8], [125, 10, 11], [200, 14, 15], [315, 21, 22], [315, 21, 22], [315, 21, 22], [315, 21, 22]],
};
// prettier-ignore
const tightened: Record<string, Row> = {
  '0.65': [[32, 0, 1], [32, 0, 1], [32, 0, 1], [32, 0, 1], [32, 0, 1], [32, 0, 1], [32, 0, 1], [125, 1, 2], [125, 1, 2], [125, 1, 2], [200, 2, 3], [315, 3, 4], [500, 5, 6], [800, 8, 9], [1250, 12, 13]],
  '1': [[20, 0, 1], [20, 0, 1], [20, 0, 1], [20, 0, 1], [20, 0, 1], [20, 0, 1], [80, 1, 2], [80, 1, 2], [80, 1, 2], [125, 2, 3], [200, 3, 4], [315, 5, 6], [500, 8, 9], [800, 12, 13], [1250, 18, 19]],
  '2.5': [[8, 0, 1], [8, 0, 1], [8, 0, 1], [8, 0, 1], [32, 1, 2], [32, 1, 2], [32, 1, 2], [50, 2, 3], [80, 3, 4], [125, 5, 6], [200, 8, 9], [315, 12, 13], [500, 18, 19], [500, 18, 19], [500, 18, 19]],
  '4': [[5, 0, 1], [5, 0, 1], [5, 0, 1], [20, 1, 2], [20, 1, 2], [20, 1, 2], [32, 2, 3], [50, 3, 4], [80, 5, 6], [125, 8, 9], [200, 12, 13], [315, 18, 19], [315, 18, 19], [315, 18, 19], [315, 18, 19]],
};

describe('ISO 2859-1 sampling tables', () => {
  it('Table 1: the code letters of every lot-size range and level, at both ends of the range', () => {
    // prettier-ignore
    const table1: string[] = [
      'AAAAAAB', 'AAAAABC', 'AABBBCD', 'ABBCCDE', 'BBCCCEF', 'BBCDDFG', 'BCDEEGH', 'BCDEFHJ',
      'CCEFGJK', 'CDEGHKL', 'CDFGJLM', 'CDFHKMN', 'DEGJLNP', 'DEGJMPQ', 'DEHKNQR',
    ];
    expect(lotSizeRanges.map((r) => [r.min, r.max])).to.deep.equal(ranges);
    ranges.forEach(([min, max], i) => {
      for (const lot of [min, max ?? 10_000_000]) {
        const letters = inspectionLevels.map((level) => codeLetterFor(lot, level)).join('');
        expect(letters, `lot ${lot}`).to.equal(table1[i]);
      }
    });
  });

  for (const [severity, table] of [
    ['normal', normal],
    ['tightened', tightened],
  ] as const) {
    for (const [aql, expected] of Object.entries(table)) {
      it(`Table 2-${severity === 'normal' ? 'A' : 'B'} (${severity}), AQL ${aql}: every lot-size range at level II`, () => {
        ranges.forEach(([min, max], i) => {
          for (const lotSize of [min, max ?? 2_000_000]) {
            const plan = planForLot({ lotSize, aql: Number(aql), severity });
            const [n, ac, re] = expected[i]!;
            const where = `lot ${lotSize}`;
            expect(plan.codeLetter, where).to.equal(levelII[i]);
            expect([plan.tableSampleSize, plan.accept, plan.reject], where).to.deep.equal([n, ac, re]);
            expect(plan.inspectAll, where).to.equal(n >= lotSize);
            expect(plan.sampleSize, where).to.equal(Math.min(n, lotSize));
          }
        });
      });
    }
  }

  it('follows an arrow to a plan larger than the lot: 100 % inspection', () => {
    // Lot of 8, level II: letter A; at AQL 1.0 the arrow leads down to E (n 13, Ac 0).
    const plan = planForLot({ lotSize: 8, aql: 1.0 });
    expect(plan).to.include({
      codeLetter: 'A',
      planLetter: 'E',
      tableSampleSize: 13,
      sampleSize: 8,
      inspectAll: true,
    });
    expect([plan.accept, plan.reject]).to.deep.equal([0, 1]);
    // Lot of 60 (E) at AQL 1.5: an arrow up to D (n 8, Ac 0): fewer items than the code letter's 13.
    expect(planForLot({ lotSize: 60, aql: 1.5 })).to.include({
      codeLetter: 'E',
      planLetter: 'D',
      sampleSize: 8,
      accept: 0,
    });
    // Level II, lot 1 000 000 (Q) at AQL 0.010 is Q's own 0/1; level III (R) is an arrow up to Q.
    expect(planForLot({ lotSize: 1_000_000, aql: 0.01, inspectionLevel: 'III' })).to.include({
      codeLetter: 'R',
      planLetter: 'Q',
      sampleSize: 1250,
      accept: 0,
    });
    // Tightened, level III, lot over 500 000 at AQL 0.025: the arrow leads to row S (n 3150, 1/2).
    expect(
      planForLot({ lotSize: 600_000, aql: 0.025, inspectionLevel: 'III', severity: 'tightened' }),
    ).to.include({
      planLetter: 'S',
      sampleSize: 3150,
      accept: 1,
      reject: 2,
    });
  });

  it('special levels and the reference points of the bpo reference (level II normal, AQL 1.0)', () => {
    expect(planForLot({ lotSize: 5000, aql: 2.5, inspectionLevel: 'S-3' })).to.include({
      codeLetter: 'F',
      sampleSize: 20,
      accept: 1,
    });
    const at1 = [2000, 5000, 20000, 100000, 300000, 600000].map((lotSize) => {
      const p = planForLot({ lotSize, aql: 1.0 });
      return `${p.codeLetter} ${p.accept}/${p.reject}`;
    });
    expect(at1).to.deep.equal(['K 3/4', 'L 5/6', 'M 7/8', 'N 10/11', 'P 14/15', 'Q 21/22']);
  });

  it('the master tables keep the standard structure: a plan repeats along its diagonal', () => {
    // Moving one code letter down and one AQL column left keeps the same Ac/Re (rows A-R).
    const letters: CodeLetter[] = [
      'A',
      'B',
      'C',
      'D',
      'E',
      'F',
      'G',
      'H',
      'J',
      'K',
      'L',
      'M',
      'N',
      'P',
      'Q',
      'R',
    ];
    for (const severity of ['normal', 'tightened', 'reduced'] as const) {
      for (let i = 1; i < letters.length; i++) {
        for (let j = 0; j < aqlValues.length - 1; j++) {
          const here = tableCell(severity, letters[i]!, aqlValues[j]!);
          const diagonal = tableCell(severity, letters[i - 1]!, aqlValues[j + 1]!);
          if (here.kind === 'plan' && diagonal.kind === 'plan')
            expect(diagonal, `${severity} ${letters[i]}`).to.deep.equal(here);
        }
      }
    }
  });

  it('every cell of every table leads to a plan, and the Ac numbers are those of the standard', () => {
    const acs = { normal: new Set<number>(), tightened: new Set<number>(), reduced: new Set<number>() };
    for (const severity of ['normal', 'tightened', 'reduced'] as const) {
      for (const letter of Object.keys(sampleSizes.normal) as CodeLetter[]) {
        for (const aql of aqlValues) {
          const plan = resolvePlan(severity, letter, aql);
          expect(plan, `${severity} ${letter} ${aql}`).to.not.equal(null);
          acs[severity].add(plan!.accept);
          // No gap between Ac and Re in single sampling (ISO 2859-1:1999 removed it on reduced).
          expect(plan!.reject).to.equal(plan!.accept + 1);
        }
      }
    }
    const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
    expect(sorted(acs.normal)).to.deep.equal([0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 44]);
    expect(sorted(acs.tightened)).to.deep.equal([0, 1, 2, 3, 5, 8, 12, 18, 27, 41]);
    expect(sorted(acs.reduced)).to.deep.equal([0, 1, 2, 3, 5, 6, 8, 10, 14, 21]);
  });

  it('Table 2-C (reduced): sample sizes two letters lower, and n 8 Ac 0 at AQL 0.65 (ISO 28590)', () => {
    const plan = planForLot({ lotSize: 120, aql: 0.65, severity: 'reduced' });
    expect(plan).to.include({ codeLetter: 'F', sampleSize: 8, accept: 0, reject: 1 });
    expect(planForLot({ lotSize: 40, aql: 1.5, severity: 'normal' })).to.include({
      planLetter: 'D',
      sampleSize: 8,
      accept: 0,
    });
    expect(planForLot({ lotSize: 2000, aql: 1.0, severity: 'reduced' })).to.include({
      codeLetter: 'K',
      sampleSize: 50,
    });
  });

  it('reports the AQL one step tighter for the switching score', () => {
    const plan = planForLot({ lotSize: 2000, aql: 1.0 });
    expect(plan.acceptOneStepTighter).to.equal(2); // K at AQL 0.65 is 2/3
    expect(planForLot({ lotSize: 2000, aql: 0.1 }).acceptOneStepTighter).to.equal(null); // K at 0.065 is an arrow
    expect(plan.source).to.match(/ISO 2859-1:1999 Table 1.*Table 2-A/);
  });

  it('refuses an AQL outside the tables and a lot size that is not a whole positive number', () => {
    expect(() => planForLot({ lotSize: 100, aql: 0.5 })).to.throw(RangeError);
    expect(() => planForLot({ lotSize: 0, aql: 1 })).to.throw(RangeError);
    expect(() => planForLot({ lotSize: 10.5, aql: 1 })).to.throw(RangeError);
    expect(planForLot({ lotSize: 1, aql: 1 })).to.include({ sampleSize: 1, inspectAll: true });
  });
});
