import { expect } from 'chai';
import type { BusinessCalendar } from '../../../server/domain/sla/business-time.js';
import {
  dueEvents,
  firstResponded,
  pause,
  recorded,
  resolved,
  resume,
  retarget,
  startClock,
  stateOf,
} from '../../../server/domain/sla/clock.js';

/** Acme's contract hours: Mon-Fri 09:00-18:00 Europe/Rome, with the Immacolata holiday. */
const rome: BusinessCalendar = {
  timeZone: 'Europe/Rome',
  alwaysOpen: false,
  weekly: [1, 2, 3, 4, 5].map((day) => ({ day: day as 1 | 2 | 3 | 4 | 5, from: '09:00', to: '18:00' })),
  holidays: ['2026-12-08'],
  closures: [],
};
const always: BusinessCalendar = {
  timeZone: 'Europe/Rome',
  alwaysOpen: true,
  weekly: [],
  holidays: [],
  closures: [],
};
const H = 3600;
const iso = (d: Date | null | undefined): string | undefined => d?.toISOString();

describe('SLA clock rules', () => {
  it('a Friday-evening ticket: first response due Monday morning', () => {
    // Fri 2026-11-27 17:30 CET = 16:30Z; 2 h: 30 min on Friday, 1 h 30 on Monday -> Mon 10:30 CET = 09:30Z.
    const clock = startClock(
      rome,
      { firstResponseSeconds: 2 * H, resolutionSeconds: 16 * H },
      1,
      [75, 90],
      new Date('2026-11-27T16:30:00Z'),
    );
    expect(iso(clock.firstResponse.dueAt)).to.equal('2026-11-30T09:30:00.000Z');
    // 16 h: 0.5 h Fri + 9 h Mon + 6.5 h Tue -> Tue 2026-12-01 15:30 CET = 14:30Z.
    expect(iso(clock.resolution.dueAt)).to.equal('2026-12-01T14:30:00.000Z');
    // The next event is the 75 % warning of the first response, 90 min in: 30 min Friday + 60 min Monday = Mon 10:00 CET.
    expect(iso(clock.nextEventAt)).to.equal('2026-11-30T09:00:00.000Z');
  });

  it('skips a public holiday', () => {
    // Mon 2026-12-07 17:00 CET, 4 h: 1 h Monday, Tuesday 8 Dec is a holiday, 3 h Wednesday -> Wed 12:00 CET = 11:00Z.
    const clock = startClock(
      rome,
      { firstResponseSeconds: 4 * H, resolutionSeconds: 40 * H },
      1,
      [],
      new Date('2026-12-07T16:00:00Z'),
    );
    expect(iso(clock.firstResponse.dueAt)).to.equal('2026-12-09T11:00:00.000Z');
  });

  it('counts real time across the spring DST switch, and business hours by the local clock', () => {
    // 24x7: 2026-03-29 00:30Z (01:30 CET) + 2 h = 02:30Z (04:30 CEST: the local clock skipped an hour).
    const a = startClock(
      always,
      { firstResponseSeconds: 2 * H, resolutionSeconds: 4 * H },
      1,
      [],
      new Date('2026-03-29T00:30:00Z'),
    );
    expect(iso(a.firstResponse.dueAt)).to.equal('2026-03-29T02:30:00.000Z');
    // Business: Fri 2026-03-27 17:00 CET (16:00Z) + 2 h: 1 h Friday, 1 h Monday -> Mon 10:00 CEST = 08:00Z.
    const b = startClock(
      rome,
      { firstResponseSeconds: 2 * H, resolutionSeconds: 9 * H },
      1,
      [],
      new Date('2026-03-27T16:00:00Z'),
    );
    expect(iso(b.firstResponse.dueAt)).to.equal('2026-03-30T08:00:00.000Z');
  });

  it('pauses the resolution clock over a weekend while pending, not the first response', () => {
    // Thu 2026-11-26 09:00 CET (08:00Z), resolution 16 h -> Fri 16:00 CET (9 h Thu + 7 h Fri).
    let clock = startClock(
      rome,
      { firstResponseSeconds: 2 * H, resolutionSeconds: 16 * H },
      1,
      [],
      new Date('2026-11-26T08:00:00Z'),
    );
    expect(iso(clock.resolution.dueAt)).to.equal('2026-11-27T15:00:00.000Z');
    clock = firstResponded(rome, clock, new Date('2026-11-26T09:00:00Z'));
    expect(clock.firstResponse.businessSeconds).to.equal(H);
    // Pending from Thu 14:00 CET to Mon 10:00 CET: 4 h Thu + 9 h Fri + 1 h Mon = 14 h paused.
    clock = pause(rome, clock, new Date('2026-11-26T13:00:00Z'));
    expect(stateOf(clock)).to.equal('paused');
    expect(dueEvents(rome, clock, new Date('2026-12-31T00:00:00Z'))).to.deep.equal([]);
    clock = resume(rome, clock, new Date('2026-11-30T09:00:00Z'));
    expect(clock.pausedSeconds).to.equal(14 * H);
    // 16 h + 14 h = 30 h from Thu 09:00: Thu 9, Fri 9, Mon 9, Tue 3 -> Tue 12:00 CET = 11:00Z.
    expect(iso(clock.resolution.dueAt)).to.equal('2026-12-01T11:00:00.000Z');
  });

  it('recomputes due times from the original start on a priority change', () => {
    const start = new Date('2026-11-26T08:00:00Z');
    const clock = startClock(rome, { firstResponseSeconds: 8 * H, resolutionSeconds: 40 * H }, 1, [], start);
    const urgent = retarget(rome, clock, { firstResponseSeconds: 1 * H, resolutionSeconds: 4 * H });
    expect(iso(urgent.startedAt)).to.equal(iso(start));
    expect(iso(urgent.firstResponse.dueAt)).to.equal('2026-11-26T09:00:00.000Z');
    expect(iso(urgent.resolution.dueAt)).to.equal('2026-11-26T12:00:00.000Z');
  });

  it('stops at resolve and resumes at reopen, not counting the resolved time', () => {
    // 24x7 for simple numbers: resolution 10 h from 00:00Z; resolved at 04:00Z (4 h used).
    let clock = startClock(
      always,
      { firstResponseSeconds: H, resolutionSeconds: 10 * H },
      1,
      [],
      new Date('2026-11-26T00:00:00Z'),
    );
    clock = firstResponded(always, clock, new Date('2026-11-26T00:30:00Z'));
    clock = resolved(always, clock, new Date('2026-11-26T04:00:00Z'));
    expect(clock.resolution.businessSeconds).to.equal(4 * H);
    expect(stateOf(clock)).to.equal('met');
    // Reopened at 12:00Z: 8 h resolved do not count; 6 h left -> due 18:00Z.
    clock = resume(always, clock, new Date('2026-11-26T12:00:00Z'));
    expect(clock.resolution.metAt).to.equal(null);
    expect(iso(clock.resolution.dueAt)).to.equal('2026-11-26T18:00:00.000Z');
  });

  it('produces warnings at the thresholds and the breach at the deadline, each once', () => {
    const start = new Date('2026-11-26T00:00:00Z');
    let clock = startClock(
      always,
      { firstResponseSeconds: 100, resolutionSeconds: 1000 },
      1,
      [75, 90],
      start,
    );
    const at = (s: number) => new Date(start.getTime() + s * 1000);
    expect(dueEvents(always, clock, at(74))).to.deep.equal([]);
    const first = dueEvents(always, clock, at(95));
    expect(first.map((e) => `${e.target}:${e.kind}:${e.threshold}`)).to.deep.equal([
      'firstResponse:warning:75',
      'firstResponse:warning:90',
    ]);
    clock = recorded(always, clock, first);
    expect(stateOf(clock)).to.equal('warning');
    expect(iso(clock.nextEventAt)).to.equal(iso(at(100)));
    const breach = dueEvents(always, clock, at(100));
    expect(breach.map((e) => `${e.target}:${e.kind}`)).to.deep.equal(['firstResponse:breach']);
    clock = recorded(always, clock, breach);
    expect(stateOf(clock)).to.equal('breached');
    expect(dueEvents(always, clock, at(101))).to.deep.equal([]);
    expect(iso(clock.nextEventAt)).to.equal(iso(at(750)));
  });
});
