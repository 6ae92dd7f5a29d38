import {
  aqlIndex,
  aqlValues,
  codeLetterFor,
  resolvePlan,
  tableSources,
  type CodeLetter,
  type InspectionLevel,
  type Severity,
} from './sampling-tables.js';

/**
 * The single sampling plan of ISO 2859-1:1999 (ANSI/ASQ Z1.4) for one lot: the code letter from
 * Table 1, then the plan in Table 2-A, 2-B or 2-C for that letter and AQL, following an arrow to
 * the first plan below or above it. The sample size then comes with the plan the arrow leads to
 * (clause 10.2 of the standard). When that sample size is the lot size or more, every item is
 * inspected (the tables' footnote: "if sample size equals or exceeds lot size, carry out 100 %
 * inspection"); the acceptance and rejection numbers of the plan still decide the lot.
 */

export interface SamplingPlan {
  lotSize: number;
  inspectionLevel: InspectionLevel;
  aql: number;
  severity: Severity;
  /** The code letter of Table 1 for the lot size and level. */
  codeLetter: CodeLetter;
  /** The code letter of the row whose plan is used (differs from codeLetter after an arrow). */
  planLetter: CodeLetter;
  /** Items to inspect: the plan's sample size, or the whole lot when that is not larger. */
  sampleSize: number;
  /** The plan's sample size as printed. */
  tableSampleSize: number;
  /** Accept the lot with this many nonconforming items or fewer. */
  accept: number;
  /** Do not accept the lot with this many nonconforming items or more. */
  reject: number;
  /** True when the sample is the whole lot. */
  inspectAll: boolean;
  /**
   * The acceptance number, for the same sample size, at the AQL one step tighter: the cell to the
   * left of the plan in its row (null when there is none, or it is an arrow). The switching score
   * of clause 9.3.3 asks whether the lot would have been accepted at that AQL.
   */
  acceptOneStepTighter: number | null;
  /** The tables used, quoted. */
  source: string;
}

export interface PlanInput {
  lotSize: number;
  inspectionLevel?: InspectionLevel;
  aql: number;
  severity?: Severity;
}

export function planForLot(input: PlanInput): SamplingPlan {
  const { lotSize, aql } = input;
  const inspectionLevel = input.inspectionLevel ?? 'II';
  const severity = input.severity ?? 'normal';
  if (!Number.isSafeInteger(lotSize) || lotSize < 1)
    throw new RangeError(`lot size must be a whole number >= 1: ${lotSize}`);
  const column = aqlIndex(aql);
  if (column < 0) throw new RangeError(`AQL ${aql} is not a column of the ISO 2859-1 tables`);
  const codeLetter = codeLetterFor(lotSize, inspectionLevel);
  const plan = resolvePlan(severity, codeLetter, aql);
  if (!plan) throw new RangeError(`no ${severity} plan for code letter ${codeLetter} at AQL ${aql}`);
  const tighter = column > 0 ? resolveSameRow(severity, plan.letter, aqlValues[column - 1]!) : null;
  return {
    lotSize,
    inspectionLevel,
    aql: aqlValues[column]!,
    severity,
    codeLetter,
    planLetter: plan.letter,
    sampleSize: Math.min(plan.sampleSize, lotSize),
    tableSampleSize: plan.sampleSize,
    accept: plan.accept,
    reject: plan.reject,
    inspectAll: plan.sampleSize >= lotSize,
    acceptOneStepTighter: tighter,
    source: `${tableSources.table1}; ${tableSources[severity]}`,
  };
}

function resolveSameRow(severity: Severity, letter: CodeLetter, aql: number): number | null {
  const plan = resolvePlan(severity, letter, aql);
  return plan && plan.letter === letter ? plan.accept : null;
}

/** Whether a sample with this many nonconforming items accepts the lot under the plan. */
export function lotAccepted(plan: Pick<SamplingPlan, 'accept'>, nonconforming: number): boolean {
  return nonconforming <= plan.accept;
}
