import { expect } from 'chai';
import { drawSample } from '../../../server/domain/quality/draw-sample.js';
import { classSamples, judgeLot, plansForLot } from '../../../server/domain/quality/inspect-lot.js';
import { recordLayoutSchema } from '../../../server/domain/quality/record-layout.js';
import { nextSwitchingState, initialSwitchingState } from '../../../server/domain/quality/switching.js';

const layout = recordLayoutSchema.parse({
  name: 'Delivery notes',
  aql: { critical: 0.65, major: 1.0, minor: 2.5 },
  fields: [
    { key: 'vat', label: 'VAT', type: 'vat', class: 'critical' },
    { key: 'qty', label: 'Quantity', type: 'number', class: 'major' },
    { key: 'note', label: 'Note', type: 'text', class: 'minor' },
  ],
});

describe('inspecting a lot against its layout', () => {
  it('one plan per class present; the sample is the largest of them', () => {
    // Lot of 200 records, level II: code letter G (n 32). Critical 0.65: arrow up to F (n 20, 0/1);
    // major 1.0: arrow down to H (n 50, 1/2); minor 2.5: G itself (n 32, 2/3).
    const plans = plansForLot(layout, 200, 'normal');
    expect(plans.sampleSize).to.equal(50);
    expect(plans.byClass.critical).to.include({ sampleSize: 20, accept: 0, reject: 1 });
    expect(plans.byClass.major).to.include({ sampleSize: 50, accept: 1, reject: 2 });
    expect(plans.byClass.minor).to.include({ sampleSize: 32, accept: 2, reject: 3 });
    const noMinor = recordLayoutSchema.parse({
      ...layout,
      fields: layout.fields.filter((f) => f.class !== 'minor'),
    });
    expect(Object.keys(plansForLot(noMinor, 200, 'normal').byClass)).to.deep.equal(['critical', 'major']);
    // A lot smaller than the sample: every record.
    expect(plansForLot(layout, 12, 'normal').sampleSize).to.equal(12);
  });

  it('classes with a smaller plan are judged on a repeatable sub-sample of the drawn sample', () => {
    const plans = plansForLot(layout, 200, 'normal');
    const sample = drawSample({ lotSize: 200, sampleSize: plans.sampleSize, seed: 'lot-42' });
    const samples = classSamples(plans, sample);
    expect(samples.major).to.deep.equal(sample.indices);
    expect(samples.critical).to.have.length(20);
    expect(samples.minor).to.have.length(32);
    for (const sub of [samples.critical!, samples.minor!]) {
      expect(new Set(sub).size).to.equal(sub.length);
      expect(sub.every((i) => sample.indices.includes(i))).to.equal(true);
    }
    expect(classSamples(plans, drawSample({ lotSize: 200, sampleSize: 50, seed: 'lot-42' }))).to.deep.equal(
      samples,
    );
    expect(() => classSamples(plans, drawSample({ lotSize: 200, sampleSize: 49, seed: 'x' }))).to.throw(
      RangeError,
    );
  });

  it('accepts the lot only when every class is within its acceptance number, and feeds the switching rules', () => {
    const plans = plansForLot(layout, 200, 'normal');
    const samples = classSamples(plans, drawSample({ lotSize: 200, sampleSize: 50, seed: 'lot-42' }));
    const inCritical = samples.critical![0]!;
    const majorOnly = samples.major!.find((i) => !samples.critical!.includes(i))!;
    // One major error: Ac 1, accepted.
    const ok = judgeLot({ layout, plans, samples, wrongFields: new Map([[majorOnly, ['qty']]]) });
    expect(ok.accepted).to.equal(true);
    expect(ok.byClass.major).to.deep.equal({
      inspected: 50,
      nonconforming: 1,
      accept: 1,
      reject: 2,
      accepted: true,
    });
    // A critical error in the critical sub-sample: Ac 0, not accepted.
    const bad = judgeLot({ layout, plans, samples, wrongFields: new Map([[inCritical, ['vat', 'qty']]]) });
    expect(bad.accepted).to.equal(false);
    expect(bad.byClass.critical).to.include({ inspected: 20, nonconforming: 1, accepted: false });
    expect(bad.byClass.major).to.include({ nonconforming: 1, accepted: true });
    // Two lots not accepted in a row: tightened inspection.
    let state = initialSwitchingState();
    state = nextSwitchingState(state, bad.outcome).state;
    expect(nextSwitchingState(state, bad.outcome).state.severity).to.equal('tightened');
    expect(
      judgeLot({ layout, plans, samples, wrongFields: new Map(), resubmitted: true }).outcome.resubmitted,
    ).to.equal(true);
  });
});
