/**
 * The single sampling tables of ISO 2859-1:1999 "Sampling procedures for inspection by attributes -
 * Part 1: Sampling schemes indexed by acceptance quality limit (AQL) for lot-by-lot inspection"
 * (identical to BS 6001-1:1999 and IS 2500 (Part 1):2000; the same plans as ANSI/ASQ Z1.4 and
 * MIL-STD-105E, Tables I and II-A/II-B), kept as data: Table 1 (sample size code letters), Table
 * 2-A (normal inspection), Table 2-B (tightened) and Table 2-C (reduced).
 *
 * A master table is written as in the standard: one row per code letter, one cell per AQL column
 * (0.010 ... 1000), each cell a plan "Ac/Re" or an arrow: "v" = use the first sampling plan below
 * the arrow, "^" = use the first sampling plan above it, "." = no entry (only in row S of Table
 * 2-B, which has its one plan under AQL 0.025). The arrows are resolved by `tableCell` below.
 *
 * How the data was checked: Tables 1, 2-A and 2-B were written from the standard's structure (the
 * sample sizes 2 ... 3150 in the ratio of about 1.6, one AQL column per ratio step, so that a plan
 * repeats along a diagonal; the Ac numbers 0,1,2,3,5,7,10,14,21,30,44 on normal and
 * 0,1,2,3,5,8,12,18,27,41 on tightened inspection) and every one of the 16 x 26 cells of 2-A and
 * 2-B, once the arrows are resolved to (n, Ac, Re), was compared with an independent transcription
 * of the ANSI/ASQ Z1.4 tables (the resolved matrices of J. Lawson's R package AQLSchemes, function
 * AAZ14Single): no differences. test/domain/quality/sampling-tables.test.ts checks the values the
 * standard prints for every lot-size range at several AQLs.
 *
 * Table 2-C differs between the standards: ISO 2859-1:1999 removed the gap between acceptance and
 * rejection numbers of the reduced plans (Foreword: "reduced plans have been changed to eliminate
 * the gap between the acceptance and rejection numbers"), ANSI/ASQ Z1.4 keeps it. The rows below
 * are the ISO 1999 plans: the reduced sample sizes (two code letters lower than normal, n = 2 for
 * A-C), the 0/1 plans on the same diagonal as in Table 2-A (ISO 28590:2017 cites n = 8, Ac = 0 as
 * AQL 1.5 normal or 0.65 reduced, Tables 2-A and 2-C) and the Ac/Re pairs
 * 1/2, 2/3, 3/4, 5/6, 6/7, 8/9, 10/11, 14/15, 21/22 where Z1.4 prints 1/3, 1/4, 2/5, 3/6, 5/8,
 * 7/10, 10/13, 14/17, 21/24. Table 2-C was NOT compared with an independent transcription of the
 * ISO table: check it against a printed copy before relying on reduced inspection. Its bottom-left
 * cells (Q at 0.025, R at 0.010-0.025), whose arrows would point below the table, are written as
 * "^" (use the plan above), as Tables 2-A and 2-B do for R at 0.015.
 */

export const inspectionLevels = ['S-1', 'S-2', 'S-3', 'S-4', 'I', 'II', 'III'] as const;
export type InspectionLevel = (typeof inspectionLevels)[number];

export const severities = ['normal', 'tightened', 'reduced'] as const;
export type Severity = (typeof severities)[number];

/** The code letters of the master tables, in order (I and O are not used; S only on tightened). */
export const codeLetters = [
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
  'S',
] as const;
export type CodeLetter = (typeof codeLetters)[number];

/** The AQL columns of Tables 2-A, 2-B and 2-C (percent nonconforming up to 10, nonconformities per 100 items above). */
export const aqlValues = [
  0.01, 0.015, 0.025, 0.04, 0.065, 0.1, 0.15, 0.25, 0.4, 0.65, 1, 1.5, 2.5, 4, 6.5, 10, 15, 25, 40, 65, 100,
  150, 250, 400, 650, 1000,
] as const;

/** Where each table comes from, as a plan quotes it. */
export const tableSources = {
  table1: 'ISO 2859-1:1999 Table 1 (ANSI/ASQ Z1.4 Table I): sample size code letters',
  normal: 'ISO 2859-1:1999 Table 2-A (ANSI/ASQ Z1.4 Table II-A): single sampling plans for normal inspection',
  tightened:
    'ISO 2859-1:1999 Table 2-B (ANSI/ASQ Z1.4 Table II-B): single sampling plans for tightened inspection',
  reduced: 'ISO 2859-1:1999 Table 2-C: single sampling plans for reduced inspection',
} as const;

/**
 * Table 1 (source: ISO 2859-1:1999 Table 1; ANSI/ASQ Z1.4 Table I; MIL-STD-105E Table I): the code
 * letter per lot-size range, for the special levels S-1 ... S-4 and the general levels I, II, III.
 * `max: null` is "500 001 and over".
 */
export const lotSizeRanges: readonly {
  min: number;
  max: number | null;
  letters: Readonly<Record<InspectionLevel, CodeLetter>>;
}[] = (
  [
    // min, max, S-1, S-2, S-3, S-4, I, II, III
    [2, 8, 'A', 'A', 'A', 'A', 'A', 'A', 'B'],
    [9, 15, 'A', 'A', 'A', 'A', 'A', 'B', 'C'],
    [16, 25, 'A', 'A', 'B', 'B', 'B', 'C', 'D'],
    [26, 50, 'A', 'B', 'B', 'C', 'C', 'D', 'E'],
    [51, 90, 'B', 'B', 'C', 'C', 'C', 'E', 'F'],
    [91, 150, 'B', 'B', 'C', 'D', 'D', 'F', 'G'],
    [151, 280, 'B', 'C', 'D', 'E', 'E', 'G', 'H'],
    [281, 500, 'B', 'C', 'D', 'E', 'F', 'H', 'J'],
    [501, 1200, 'C', 'C', 'E', 'F', 'G', 'J', 'K'],
    [1201, 3200, 'C', 'D', 'E', 'G', 'H', 'K', 'L'],
    [3201, 10000, 'C', 'D', 'F', 'G', 'J', 'L', 'M'],
    [10001, 35000, 'C', 'D', 'F', 'H', 'K', 'M', 'N'],
    [35001, 150000, 'D', 'E', 'G', 'J', 'L', 'N', 'P'],
    [150001, 500000, 'D', 'E', 'G', 'J', 'M', 'P', 'Q'],
    [500001, null, 'D', 'E', 'H', 'K', 'N', 'Q', 'R'],
  ] as const
).map(([min, max, ...letters]) => ({
  min,
  max,
  letters: Object.fromEntries(inspectionLevels.map((level, i) => [level, letters[i]])) as Record<
    InspectionLevel,
    CodeLetter
  >,
}));

/**
 * Sample size per code letter (source: ISO 2859-1:1999 Tables 2-A, 2-B, 2-C, column "sample
 * size"). Normal and tightened share them (letter S, 3150, appears only in Table 2-B); reduced
 * inspection uses the sample size of two letters lower, and 2 for A, B and C.
 */
const normalSampleSizes: Readonly<Partial<Record<CodeLetter, number>>> = {
  A: 2,
  B: 3,
  C: 5,
  D: 8,
  E: 13,
  F: 20,
  G: 32,
  H: 50,
  J: 80,
  K: 125,
  L: 200,
  M: 315,
  N: 500,
  P: 800,
  Q: 1250,
  R: 2000,
};

export const sampleSizes: Readonly<Record<Severity, Readonly<Partial<Record<CodeLetter, number>>>>> = {
  normal: normalSampleSizes,
  // Table 2-B has the same sample size per letter as Table 2-A, and one more letter (S).
  tightened: { ...normalSampleSizes, S: 3150 },
  reduced: {
    A: 2,
    B: 2,
    C: 2,
    D: 3,
    E: 5,
    F: 8,
    G: 13,
    H: 20,
    J: 32,
    K: 50,
    L: 80,
    M: 125,
    N: 200,
    P: 315,
    Q: 500,
    R: 800,
  },
};

// prettier-ignore
const masterRows: Readonly<Record<Severity, readonly (readonly [CodeLetter, string])[]>> = {
  // Source: ISO 2859-1:1999 Table 2-A; ANSI/ASQ Z1.4-2008 Table II-A; MIL-STD-105E Table II-A.
  // AQL: 0.010 0.015 0.025 0.040 0.065 0.10 0.15 0.25 0.40 0.65 1.0 1.5 2.5 4.0 6.5 10 15 25 40 65 100 150 250 400 650 1000
  normal: [
    ['A', 'v v v v v v v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31'],
    ['B', 'v v v v v v v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45'],
    ['C', 'v v v v v v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45 ^'],
    ['D', 'v v v v v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45 ^ ^'],
    ['E', 'v v v v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45 ^ ^ ^'],
    ['F', 'v v v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^'],
    ['G', 'v v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^'],
    ['H', 'v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^ ^'],
    ['J', 'v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['K', 'v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['L', 'v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['M', 'v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['N', 'v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['P', 'v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['Q', '0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['R', '^ ^ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
  ],
  // Source: ISO 2859-1:1999 Table 2-B; ANSI/ASQ Z1.4-2008 Table II-B; MIL-STD-105E Table II-B.
  // AQL: 0.010 0.015 0.025 0.040 0.065 0.10 0.15 0.25 0.40 0.65 1.0 1.5 2.5 4.0 6.5 10 15 25 40 65 100 150 250 400 650 1000
  tightened: [
    ['A', 'v v v v v v v v v v v v v v v v v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 27/28'],
    ['B', 'v v v v v v v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 27/28 41/42'],
    ['C', 'v v v v v v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 27/28 41/42 ^'],
    ['D', 'v v v v v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 27/28 41/42 ^ ^'],
    ['E', 'v v v v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 27/28 41/42 ^ ^ ^'],
    ['F', 'v v v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^'],
    ['G', 'v v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^'],
    ['H', 'v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^ ^'],
    ['J', 'v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['K', 'v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['L', 'v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['M', 'v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['N', 'v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['P', 'v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['Q', 'v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['R', '0/1 ^ v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['S', '. . 1/2 . . . . . . . . . . . . . . . . . . . . . . .'],
  ],
  // Source: ISO 2859-1:1999 Table 2-C (reconstructed, see the head comment: not cross-checked).
  // AQL: 0.010 0.015 0.025 0.040 0.065 0.10 0.15 0.25 0.40 0.65 1.0 1.5 2.5 4.0 6.5 10 15 25 40 65 100 150 250 400 650 1000
  reduced: [
    ['A', 'v v v v v v v v v v v v v v 0/1 v v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 14/15'],
    ['B', 'v v v v v v v v v v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 14/15 21/22'],
    ['C', 'v v v v v v v v v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 14/15 21/22 ^'],
    ['D', 'v v v v v v v v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 14/15 21/22 ^ ^'],
    ['E', 'v v v v v v v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 14/15 21/22 ^ ^ ^'],
    ['F', 'v v v v v v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^'],
    ['G', 'v v v v v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^'],
    ['H', 'v v v v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^ ^'],
    ['J', 'v v v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['K', 'v v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['L', 'v v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['M', 'v v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['N', 'v v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['P', 'v 0/1 ^ v v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['Q', '0/1 ^ ^ v 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
    ['R', '^ ^ ^ 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^'],
  ],
};

/** One cell of a master table as printed. */
export type TableCell =
  { kind: 'plan'; accept: number; reject: number } | { kind: 'down' } | { kind: 'up' } | { kind: 'none' };

function parseCell(token: string): TableCell {
  if (token === 'v') return { kind: 'down' };
  if (token === '^') return { kind: 'up' };
  if (token === '.') return { kind: 'none' };
  const [accept, reject] = token.split('/').map(Number);
  return { kind: 'plan', accept: accept!, reject: reject! };
}

const parsed: Record<Severity, { letters: CodeLetter[]; cells: TableCell[][] }> = Object.fromEntries(
  severities.map((severity) => {
    const rows = masterRows[severity];
    const cells = rows.map(([letter, text]) => {
      const tokens = text.split(' ');
      if (tokens.length !== aqlValues.length)
        throw new Error(`sampling table ${severity} row ${letter}: ${tokens.length} cells`);
      return tokens.map(parseCell);
    });
    return [severity, { letters: rows.map(([letter]) => letter), cells }];
  }),
) as Record<Severity, { letters: CodeLetter[]; cells: TableCell[][] }>;

/** The column index of an AQL in the master tables, or -1 when the value is not a column of the tables. */
export function aqlIndex(aql: number): number {
  return aqlValues.findIndex((value) => Math.abs(value - aql) <= value * 1e-9);
}

/** The cell printed in a master table for a code letter and AQL (no arrow followed). */
export function tableCell(severity: Severity, letter: CodeLetter, aql: number): TableCell {
  const table = parsed[severity];
  const row = table.letters.indexOf(letter);
  const column = aqlIndex(aql);
  if (row < 0 || column < 0) return { kind: 'none' };
  return table.cells[row]![column]!;
}

/**
 * The plan a cell leads to: the cell's own plan, or, for an arrow, the first plan below (or above)
 * it in the same column, with the code letter and sample size of the row where the plan stands.
 * Returns null when the letter or AQL is not in the table.
 */
export function resolvePlan(
  severity: Severity,
  letter: CodeLetter,
  aql: number,
): { letter: CodeLetter; sampleSize: number; accept: number; reject: number } | null {
  const table = parsed[severity];
  let row = table.letters.indexOf(letter);
  const column = aqlIndex(aql);
  if (row < 0 || column < 0) return null;
  const first = table.cells[row]![column]!;
  const step = first.kind === 'up' ? -1 : first.kind === 'down' ? 1 : 0;
  for (;;) {
    const cell = table.cells[row]?.[column];
    if (!cell) return null;
    if (cell.kind === 'plan') {
      const at = table.letters[row]!;
      return { letter: at, sampleSize: sampleSizes[severity][at]!, accept: cell.accept, reject: cell.reject };
    }
    if (step === 0) return null;
    row += step;
  }
}

/** The code letter of Table 1 for a lot size and inspection level (lots of 1 item use the first row). */
export function codeLetterFor(lotSize: number, level: InspectionLevel): CodeLetter {
  const range =
    lotSizeRanges.find((r) => lotSize <= (r.max ?? Number.POSITIVE_INFINITY)) ?? lotSizeRanges[0]!;
  return range.letters[level];
}
