import { drawSample, type DrawnSample } from './draw-sample.js';
import { planForLot, type SamplingPlan } from './plan-for-lot.js';
import { fieldClasses, type FieldClass, type RecordLayout } from './record-layout.js';
import type { Severity } from './sampling-tables.js';
import { lotAcceptedForAll, type LotOutcome } from './switching.js';

/**
 * One lot (a finished batch of records) inspected against its layout. Each class of field
 * (critical, major, minor) present in the layout has its own AQL, hence its own plan; all share
 * the code letter (same lot size and level) but an arrow can give a class a different sample size.
 * One sample of the largest size is drawn (draw-sample.ts); a class with a smaller plan is judged
 * on a sub-sample of it, drawn from the positions of that sample with the seed "<seed>/<class>",
 * which is again a uniform random sample of the lot and as repeatable as the first.
 *
 * A record is nonconforming in a class when at least one of its fields of that class was keyed
 * wrong; the lot is accepted when every class has no more nonconforming records than its Ac.
 */

export interface LotPlans {
  /** Records to draw: the largest sample size of the classes. */
  sampleSize: number;
  byClass: Partial<Record<FieldClass, SamplingPlan>>;
}

/** The plans of the classes present in the layout, for a lot of this size on this severity. */
export function plansForLot(
  layout: Pick<RecordLayout, 'fields' | 'aql' | 'inspectionLevel'>,
  lotSize: number,
  severity: Severity,
): LotPlans {
  const byClass: Partial<Record<FieldClass, SamplingPlan>> = {};
  for (const cls of fieldClasses) {
    if (!layout.fields.some((f) => f.class === cls)) continue;
    byClass[cls] = planForLot({
      lotSize,
      aql: layout.aql[cls],
      inspectionLevel: layout.inspectionLevel,
      severity,
    });
  }
  const sampleSize = Math.max(0, ...Object.values(byClass).map((p) => p.sampleSize));
  return { sampleSize, byClass };
}

/** The record indices each class is judged on: the whole sample, or its seeded sub-sample. */
export function classSamples(plans: LotPlans, sample: DrawnSample): Partial<Record<FieldClass, number[]>> {
  if (sample.indices.length !== plans.sampleSize) {
    throw new RangeError(
      `the sample has ${sample.indices.length} records, the plans need ${plans.sampleSize}`,
    );
  }
  const out: Partial<Record<FieldClass, number[]>> = {};
  for (const [cls, plan] of Object.entries(plans.byClass) as [FieldClass, SamplingPlan][]) {
    if (plan.sampleSize === sample.indices.length) out[cls] = sample.indices;
    else {
      const positions = drawSample({
        lotSize: sample.indices.length,
        sampleSize: plan.sampleSize,
        seed: `${sample.seed}/${cls}`,
      });
      out[cls] = positions.indices.map((p) => sample.indices[p]!);
    }
  }
  return out;
}

export interface LotJudgement {
  accepted: boolean;
  byClass: Partial<
    Record<
      FieldClass,
      { inspected: number; nonconforming: number; accept: number; reject: number; accepted: boolean }
    >
  >;
  /** What the switching rules take (switching.ts). */
  outcome: LotOutcome;
}

/**
 * Judge a lot from the checker's findings: `wrongFields` maps a record index of the sample to the
 * keys of its fields found keyed wrong (records without errors may be left out).
 */
export function judgeLot(input: {
  layout: Pick<RecordLayout, 'fields'>;
  plans: LotPlans;
  samples: Partial<Record<FieldClass, number[]>>;
  wrongFields: ReadonlyMap<number, readonly string[]>;
  resubmitted?: boolean;
}): LotJudgement {
  const classOf = new Map(input.layout.fields.map((f) => [f.key, f.class]));
  const byClass: LotJudgement['byClass'] = {};
  const classes: LotOutcome['classes'][number][] = [];
  for (const [cls, plan] of Object.entries(input.plans.byClass) as [FieldClass, SamplingPlan][]) {
    const indices = input.samples[cls] ?? [];
    const nonconforming = indices.filter((i) =>
      (input.wrongFields.get(i) ?? []).some((key) => classOf.get(key) === cls),
    ).length;
    const accepted = nonconforming <= plan.accept;
    byClass[cls] = {
      inspected: indices.length,
      nonconforming,
      accept: plan.accept,
      reject: plan.reject,
      accepted,
    };
    classes.push({ nonconforming, accept: plan.accept, acceptOneStepTighter: plan.acceptOneStepTighter });
  }
  const outcome: LotOutcome = { classes, ...(input.resubmitted ? { resubmitted: true } : {}) };
  return { accepted: lotAcceptedForAll(classes), byClass, outcome };
}
