/**
 * The switching rules of ISO 2859-1:1999, clause 9 (the same rules as ANSI/ASQ Z1.4 section 8,
 * with the 1999 switching score for normal to reduced), as a pure state machine over the sequence
 * of lots of one (client, layout). The caller stores the state and feeds each lot's outcome.
 *
 * - 9.2    Inspection starts on normal.
 * - 9.3.1  Normal -> tightened when 2 out of 5 or fewer consecutive lots are not accepted on
 *          original inspection (resubmitted lots are not counted).
 * - 9.3.2  Tightened -> normal when 5 consecutive lots are accepted on original inspection.
 * - 9.3.3  Normal -> reduced when the switching score is at least 30, production is at a steady
 *          rate and the responsible authority considers reduced inspection desirable. The score
 *          starts at 0 at the start of normal inspection and is updated after each lot on
 *          original normal inspection (single sampling): when the acceptance number is 2 or more,
 *          add 3 if the lot would have been accepted had the AQL been one step tighter, otherwise
 *          reset to 0; when the acceptance number is 0 or 1, add 2 if the lot is accepted,
 *          otherwise reset to 0.
 * - 9.3.4  Reduced -> normal when a lot is not accepted, production becomes irregular or
 *          delayed, or other conditions warrant it.
 * - 9.4    When the cumulative number of lots not accepted in a sequence of consecutive lots on
 *          original tightened inspection reaches 5, the acceptance procedures are discontinued;
 *          they resume, on tightened inspection, only after the supplier has acted on quality.
 *
 * A lot inspected for several classes of nonconformity (critical, major, minor fields, each with
 * its own AQL and plan) is accepted only if every class is; its switching score step is the
 * smallest of the classes' steps, and a reset in any class resets it (our reading: the standard
 * states the score rule for one plan).
 */

export type InspectionSeverity = 'normal' | 'tightened' | 'reduced' | 'discontinued';

export interface SwitchingState {
  severity: InspectionSeverity;
  /** On normal: whether each of the last (up to 4) lots on original inspection was accepted, oldest first. */
  recentNormal: boolean[];
  /** On normal: the switching score of clause 9.3.3. */
  switchingScore: number;
  /** On tightened: consecutive lots accepted. */
  acceptedInARow: number;
  /** On tightened: lots not accepted since tightened inspection began (clause 9.4). */
  notAcceptedOnTightened: number;
}

/** The result for one class of nonconformity in a lot: the count found and the plan's numbers. */
export interface ClassResult {
  nonconforming: number;
  accept: number;
  /** The acceptance number at the AQL one step tighter, same sample size (SamplingPlan.acceptOneStepTighter). */
  acceptOneStepTighter: number | null;
}

export interface LotOutcome {
  classes: readonly ClassResult[];
  /** A lot resubmitted after rework: accepted or not on its own, not counted by the switching rules. */
  resubmitted?: boolean;
}

export interface SwitchingConditions {
  /** Clause 9.3.3 b): production is at a steady rate. */
  productionSteady?: boolean;
  /** Clause 9.3.3 c): the responsible authority considers reduced inspection desirable. */
  authorityApprovesReduced?: boolean;
  /** Clause 9.3.4 b): production is irregular or delayed. */
  productionIrregular?: boolean;
  /** Clause 9.3.4 c): other conditions warrant a return to normal inspection. */
  otherConditionsWarrantNormal?: boolean;
}

export type SwitchReason =
  | 'two-of-five-not-accepted'
  | 'five-accepted-on-tightened'
  | 'switching-score'
  | 'not-accepted-on-reduced'
  | 'production-irregular'
  | 'other-conditions'
  | 'five-not-accepted-on-tightened'
  | 'supplier-action';

export interface SwitchStep {
  state: SwitchingState;
  lotAccepted: boolean;
  switched: { from: InspectionSeverity; to: InspectionSeverity; reason: SwitchReason } | null;
}

export const reducedScoreThreshold = 30;
export const tightenedDiscontinueAt = 5;

const fresh = (severity: InspectionSeverity): SwitchingState => ({
  severity,
  recentNormal: [],
  switchingScore: 0,
  acceptedInARow: 0,
  notAcceptedOnTightened: 0,
});

/** The state before the first lot: normal inspection, score 0 (clause 9.2). */
export function initialSwitchingState(): SwitchingState {
  return fresh('normal');
}

/** Whether the lot is accepted: every class has no more nonconforming items than its Ac. */
export function lotAcceptedForAll(classes: readonly ClassResult[]): boolean {
  return classes.every((c) => c.nonconforming <= c.accept);
}

/** The switching score after one lot on original normal inspection (clause 9.3.3.2, single sampling). */
export function switchingScoreAfter(score: number, classes: readonly ClassResult[]): number {
  let step = Number.POSITIVE_INFINITY;
  for (const c of classes) {
    const passes =
      c.accept >= 2
        ? c.acceptOneStepTighter !== null && c.nonconforming <= c.acceptOneStepTighter
        : c.nonconforming <= c.accept;
    if (!passes) return 0;
    step = Math.min(step, c.accept >= 2 ? 3 : 2);
  }
  return classes.length === 0 ? score : score + step;
}

/** Apply the switching rules to one inspected lot. */
export function nextSwitchingState(
  state: SwitchingState,
  lot: LotOutcome,
  conditions: SwitchingConditions = {},
): SwitchStep {
  if (lot.classes.length === 0) throw new RangeError('a lot outcome needs at least one class result');
  if (state.severity === 'discontinued') {
    throw new RangeError(
      'inspection is discontinued (ISO 2859-1 9.4): resume it after the supplier has acted',
    );
  }
  const accepted = lotAcceptedForAll(lot.classes);
  if (lot.resubmitted) return { state, lotAccepted: accepted, switched: null };
  const from = state.severity;
  const to = (severity: InspectionSeverity, reason: SwitchReason): SwitchStep => ({
    state: fresh(severity),
    lotAccepted: accepted,
    switched: { from, to: severity, reason },
  });

  if (state.severity === 'normal') {
    if (!accepted && state.recentNormal.includes(false)) return to('tightened', 'two-of-five-not-accepted');
    const switchingScore = switchingScoreAfter(state.switchingScore, lot.classes);
    if (
      switchingScore >= reducedScoreThreshold &&
      conditions.productionSteady === true &&
      conditions.authorityApprovesReduced === true
    ) {
      return to('reduced', 'switching-score');
    }
    const recentNormal = [...state.recentNormal, accepted].slice(-4);
    return { state: { ...state, recentNormal, switchingScore }, lotAccepted: accepted, switched: null };
  }

  if (state.severity === 'tightened') {
    if (accepted) {
      const acceptedInARow = state.acceptedInARow + 1;
      if (acceptedInARow >= 5) return to('normal', 'five-accepted-on-tightened');
      return { state: { ...state, acceptedInARow }, lotAccepted: accepted, switched: null };
    }
    const notAcceptedOnTightened = state.notAcceptedOnTightened + 1;
    if (notAcceptedOnTightened >= tightenedDiscontinueAt)
      return to('discontinued', 'five-not-accepted-on-tightened');
    return {
      state: { ...state, acceptedInARow: 0, notAcceptedOnTightened },
      lotAccepted: accepted,
      switched: null,
    };
  }

  // Reduced.
  if (!accepted) return to('normal', 'not-accepted-on-reduced');
  if (conditions.productionIrregular === true) return to('normal', 'production-irregular');
  if (conditions.otherConditionsWarrantNormal === true) return to('normal', 'other-conditions');
  return { state, lotAccepted: accepted, switched: null };
}

/**
 * Leave reduced inspection between lots (clause 9.3.4 b and c: production irregular or delayed,
 * or other conditions), without a lot to inspect. Other states are returned unchanged.
 */
export function leaveReduced(
  state: SwitchingState,
  reason: 'production-irregular' | 'other-conditions',
): { state: SwitchingState; switched: SwitchStep['switched'] } {
  if (state.severity !== 'reduced') return { state, switched: null };
  return { state: fresh('normal'), switched: { from: 'reduced', to: 'normal', reason } };
}

/** Resume after discontinuation (clause 9.4): on tightened inspection, as if 9.3.1 had been invoked. */
export function resumeAfterDiscontinuation(state: SwitchingState): {
  state: SwitchingState;
  switched: SwitchStep['switched'];
} {
  if (state.severity !== 'discontinued') return { state, switched: null };
  return {
    state: fresh('tightened'),
    switched: { from: 'discontinued', to: 'tightened', reason: 'supplier-action' },
  };
}
