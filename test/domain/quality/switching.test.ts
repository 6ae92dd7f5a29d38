import { expect } from 'chai';
import {
  initialSwitchingState,
  leaveReduced,
  nextSwitchingState,
  resumeAfterDiscontinuation,
  switchingScoreAfter,
  type ClassResult,
  type LotOutcome,
  type SwitchingConditions,
  type SwitchingState,
  type SwitchStep,
} from '../../../server/domain/quality/switching.js';

// A plan with Ac 3 (Re 4) whose AQL one step tighter has Ac 2, e.g. level II, lot 501-1200 (J,
// n 80) at AQL 1.5 normal.
const major = (nonconforming: number): ClassResult => ({ nonconforming, accept: 3, acceptOneStepTighter: 2 });
// A plan with Ac 0: the score adds 2 for an accepted lot.
const critical = (nonconforming: number): ClassResult => ({
  nonconforming,
  accept: 0,
  acceptOneStepTighter: null,
});

/** 'A' accepted and good at the tighter AQL, 'a' accepted only at the AQL itself, 'R' not accepted. */
const lot = (code: string): LotOutcome => ({ classes: [major(code === 'A' ? 1 : code === 'a' ? 3 : 5)] });

function run(
  codes: string,
  start: SwitchingState = initialSwitchingState(),
  conditions: SwitchingConditions = {},
): { state: SwitchingState; steps: SwitchStep[]; trail: string } {
  let state = start;
  const steps: SwitchStep[] = [];
  for (const code of codes.replace(/\s/g, '')) {
    const step = nextSwitchingState(state, lot(code), conditions);
    steps.push(step);
    state = step.state;
  }
  return { state, steps, trail: steps.map((s) => s.state.severity[0]).join('') };
}

describe('ISO 2859-1 switching rules (clause 9)', () => {
  it('normal -> tightened when 2 of 5 or fewer consecutive lots are not accepted', () => {
    const within5 = run('A R A A A R');
    expect(within5.trail).to.equal('nnnnnt');
    expect(within5.steps[5]!.switched).to.deep.equal({
      from: 'normal',
      to: 'tightened',
      reason: 'two-of-five-not-accepted',
    });
    expect(run('R R').trail).to.equal('nt');
    // The two non-accepted lots six lots apart: no switch.
    expect(run('R A A A A R').trail).to.equal('nnnnnn');
  });

  it('resubmitted lots are not counted by the switching rules', () => {
    let state = run('R').state;
    const resubmitted = nextSwitchingState(state, { classes: [major(5)], resubmitted: true });
    expect(resubmitted.lotAccepted).to.equal(false);
    expect(resubmitted.switched).to.equal(null);
    state = resubmitted.state;
    expect(state.severity).to.equal('normal');
    expect(nextSwitchingState(state, lot('R')).state.severity).to.equal('tightened');
  });

  it('tightened -> normal after 5 consecutive accepted lots; a non-accepted lot restarts the count', () => {
    const tightened = run('R R').state;
    const back = run('A A A R A A A A A', tightened);
    expect(back.trail).to.equal('ttttttttn');
    expect(back.steps[8]!.switched).to.deep.equal({
      from: 'tightened',
      to: 'normal',
      reason: 'five-accepted-on-tightened',
    });
    // Back on normal, the score and the 2-of-5 window start again.
    expect(back.state).to.deep.include({ switchingScore: 0, recentNormal: [] });
  });

  it('discontinues when 5 lots in all are not accepted on tightened inspection, and resumes on tightened', () => {
    const tightened = run('R R').state;
    const stop = run('R A R A R A R A R', tightened);
    expect(stop.trail).to.equal('tttttttt' + 'd');
    expect(stop.steps[8]!.switched).to.deep.equal({
      from: 'tightened',
      to: 'discontinued',
      reason: 'five-not-accepted-on-tightened',
    });
    expect(() => nextSwitchingState(stop.state, lot('A'))).to.throw(RangeError, /discontinued/);
    const resumed = resumeAfterDiscontinuation(stop.state);
    expect(resumed.state.severity).to.equal('tightened');
    expect(resumed.switched).to.deep.equal({
      from: 'discontinued',
      to: 'tightened',
      reason: 'supplier-action',
    });
    expect(run('A A A A A', resumed.state).trail).to.equal('ttttn');
  });

  it('switching score: +3 per lot good at the tighter AQL when Ac >= 2, reset otherwise', () => {
    expect(switchingScoreAfter(0, [major(2)])).to.equal(3);
    expect(switchingScoreAfter(27, [major(2)])).to.equal(30);
    expect(switchingScoreAfter(27, [major(3)])).to.equal(0); // accepted, but not at the tighter AQL
    expect(switchingScoreAfter(27, [major(4)])).to.equal(0); // not accepted
    expect(switchingScoreAfter(10, [critical(0)])).to.equal(12); // Ac 0 or 1: +2 when accepted
    expect(switchingScoreAfter(10, [critical(1)])).to.equal(0);
    // Several classes: the smallest step, and a reset in any class resets.
    expect(switchingScoreAfter(10, [critical(0), major(1)])).to.equal(12);
    expect(switchingScoreAfter(10, [critical(0), major(3)])).to.equal(0);
  });

  it('normal -> reduced at a score of 30 only with steady production and the authority approving', () => {
    const steady = { productionSteady: true, authorityApprovesReduced: true };
    // Ten lots good at the tighter AQL: 3 x 10 = 30 on the tenth.
    const reduced = run('AAAAAAAAAA', initialSwitchingState(), steady);
    expect(reduced.trail).to.equal('nnnnnnnnnr');
    expect(reduced.steps[9]!.switched).to.deep.equal({
      from: 'normal',
      to: 'reduced',
      reason: 'switching-score',
    });
    // A lot accepted only at the AQL itself resets the score: three more lots are needed.
    expect(run('AAAAAAAAa AAAAAAAAAA', initialSwitchingState(), steady).trail).to.equal(
      'nnnnnnnnn' + 'nnnnnnnnnr',
    );
    // Without the authority's approval, or with unsteady production, inspection stays normal.
    const noApproval = run('AAAAAAAAAAAA', initialSwitchingState(), { productionSteady: true });
    expect(noApproval.trail).to.equal('nnnnnnnnnnnn');
    expect(noApproval.state.switchingScore).to.equal(36);
    expect(
      run('AAAAAAAAAAAA', initialSwitchingState(), { authorityApprovesReduced: true }).trail,
    ).to.not.contain('r');
    // Approval given later: the next qualifying lot switches.
    expect(nextSwitchingState(noApproval.state, lot('A'), steady).state.severity).to.equal('reduced');
    // Ac 0 plans: fifteen accepted lots (+2 each).
    let state = initialSwitchingState();
    const severities: string[] = [];
    for (let i = 0; i < 15; i++) {
      state = nextSwitchingState(state, { classes: [critical(0)] }, steady).state;
      severities.push(state.severity[0]!);
    }
    expect(severities.join('')).to.equal('nnnnnnnnnnnnnnr');
  });

  it('reduced -> normal when a lot is not accepted, production is irregular, or other conditions warrant', () => {
    const steady = { productionSteady: true, authorityApprovesReduced: true };
    const onReduced = run('AAAAAAAAAA', initialSwitchingState(), steady).state;
    expect(onReduced.severity).to.equal('reduced');
    expect(run('A a A', onReduced, steady).trail).to.equal('rrr'); // accepted lots keep reduced
    const rejected = run('A R', onReduced, steady);
    expect(rejected.trail).to.equal('rn');
    expect(rejected.steps[1]!.switched!.reason).to.equal('not-accepted-on-reduced');
    expect(rejected.state.switchingScore).to.equal(0);
    const irregular = nextSwitchingState(onReduced, lot('A'), { ...steady, productionIrregular: true });
    expect(irregular.switched).to.deep.equal({
      from: 'reduced',
      to: 'normal',
      reason: 'production-irregular',
    });
    expect(
      nextSwitchingState(onReduced, lot('A'), { otherConditionsWarrantNormal: true }).switched!.reason,
    ).to.equal('other-conditions');
    expect(leaveReduced(onReduced, 'production-irregular').state.severity).to.equal('normal');
    expect(leaveReduced(initialSwitchingState(), 'other-conditions').switched).to.equal(null);
  });

  it('a full scripted history: normal, tightened, normal, reduced, normal', () => {
    const steady = { productionSteady: true, authorityApprovesReduced: true };
    const history = run('AAR A R AAAAA AAAAAAAAAA A R A', initialSwitchingState(), steady);
    expect(history.trail).to.equal('nnn n t ttttn nnnnnnnnnr r n n'.replace(/\s/g, ''));
  });

  it('refuses a lot without class results', () => {
    expect(() => nextSwitchingState(initialSwitchingState(), { classes: [] })).to.throw(RangeError);
  });
});
