import { addBusinessSeconds, businessSecondsBetween, type BusinessCalendar } from './business-time.js';

/**
 * The SLA clock of one ticket, as stored on it. Pure functions of (calendar, targets, state,
 * instant): every ticket change and every sweep recomputes the due times and the next event
 * from the original start, so nothing depends on when or how often they run.
 *
 * Rules (README "SLA clock rules"):
 * - both clocks start at creation;
 * - first response is met by the first public reply of staff;
 * - the resolution clock pauses while the ticket waits on the client (pending) and while it is
 *   resolved; it resumes when the client answers or the ticket is reopened;
 * - durations are business seconds of the tenant's calendar.
 */
export type SlaTarget = 'firstResponse' | 'resolution';
export const slaTargets: SlaTarget[] = ['firstResponse', 'resolution'];

export interface TargetClock {
  targetSeconds: number;
  dueAt: Date;
  metAt: Date | null;
  /** Business seconds from start to met (resolution: minus pauses). */
  businessSeconds: number | null;
  breachedAt: Date | null;
  /** Warning thresholds (percent) already recorded. */
  warned: number[];
}

export interface SlaClock {
  policyVersion: number;
  startedAt: Date;
  warnAt: number[];
  /** Business seconds the resolution clock has been paused, closed pauses only. */
  pausedSeconds: number;
  pausedSince: Date | null;
  pauses: number;
  firstResponse: TargetClock;
  resolution: TargetClock;
  nextEventAt: Date | null;
}

export interface Targets {
  firstResponseSeconds: number;
  resolutionSeconds: number;
}

export interface SlaEventDue {
  target: SlaTarget;
  kind: 'warning' | 'breach';
  /** Percent of the target for warnings, 100 for a breach. */
  threshold: number;
  at: Date;
}

const extraPause = (cal: BusinessCalendar, clock: SlaClock, target: SlaTarget, now: Date): number =>
  target === 'resolution'
    ? clock.pausedSeconds + (clock.pausedSince ? businessSecondsBetween(cal, clock.pausedSince, now) : 0)
    : 0;

/** When `percent` of a target is used up, counting the pauses so far. */
function pointAt(cal: BusinessCalendar, clock: SlaClock, target: SlaTarget, percent: number): Date {
  const t = clock[target];
  const paused = target === 'resolution' ? clock.pausedSeconds : 0;
  return addBusinessSeconds(cal, clock.startedAt, Math.round((t.targetSeconds * percent) / 100) + paused);
}

const running = (clock: SlaClock, target: SlaTarget): boolean =>
  clock[target].metAt === null && !(target === 'resolution' && clock.pausedSince);

/** Due times and the next event, from the start, the targets and the closed pauses. */
export function settle(cal: BusinessCalendar, clock: SlaClock): SlaClock {
  const next: SlaClock = {
    ...clock,
    firstResponse: { ...clock.firstResponse },
    resolution: { ...clock.resolution },
  };
  let nextEventAt: Date | null = null;
  for (const target of slaTargets) {
    const t = next[target];
    if (t.metAt === null) t.dueAt = pointAt(cal, next, target, 100);
    if (!running(next, target)) continue;
    const pending = [
      ...next.warnAt.filter((p) => !t.warned.includes(p)).map((p) => pointAt(cal, next, target, p)),
      ...(t.breachedAt ? [] : [t.dueAt]),
    ];
    for (const at of pending) if (!nextEventAt || at < nextEventAt) nextEventAt = at;
  }
  next.nextEventAt = nextEventAt;
  return next;
}

export function startClock(
  cal: BusinessCalendar,
  targets: Targets,
  policyVersion: number,
  warnAt: number[],
  start: Date,
): SlaClock {
  const blank = (targetSeconds: number): TargetClock => ({
    targetSeconds,
    dueAt: start,
    metAt: null,
    businessSeconds: null,
    breachedAt: null,
    warned: [],
  });
  return settle(cal, {
    policyVersion,
    startedAt: start,
    warnAt: [...warnAt].sort((a, b) => a - b),
    pausedSeconds: 0,
    pausedSince: null,
    pauses: 0,
    firstResponse: blank(targets.firstResponseSeconds),
    resolution: blank(targets.resolutionSeconds),
    nextEventAt: null,
  });
}

/** New targets (a priority change): due times are recomputed from the original start. */
export function retarget(cal: BusinessCalendar, clock: SlaClock, targets: Targets): SlaClock {
  return settle(cal, {
    ...clock,
    firstResponse: { ...clock.firstResponse, targetSeconds: targets.firstResponseSeconds },
    resolution: { ...clock.resolution, targetSeconds: targets.resolutionSeconds },
  });
}

export function firstResponded(cal: BusinessCalendar, clock: SlaClock, at: Date): SlaClock {
  if (clock.firstResponse.metAt) return clock;
  return settle(cal, {
    ...clock,
    firstResponse: {
      ...clock.firstResponse,
      metAt: at,
      businessSeconds: businessSecondsBetween(cal, clock.startedAt, at),
    },
  });
}

/** Waiting on the client, or resolved: the resolution clock stops. */
export function pause(cal: BusinessCalendar, clock: SlaClock, at: Date): SlaClock {
  if (clock.pausedSince) return clock;
  return settle(cal, { ...clock, pausedSince: at, pauses: clock.pauses + 1 });
}

/** The client answered, or the ticket was reopened: the resolution clock runs again. */
export function resume(cal: BusinessCalendar, clock: SlaClock, at: Date): SlaClock {
  if (!clock.pausedSince) return clock;
  const pausedSeconds = clock.pausedSeconds + businessSecondsBetween(cal, clock.pausedSince, at);
  return settle(cal, {
    ...clock,
    pausedSince: null,
    pausedSeconds,
    resolution: { ...clock.resolution, metAt: null, businessSeconds: null },
  });
}

export function resolved(cal: BusinessCalendar, clock: SlaClock, at: Date): SlaClock {
  const paused = pause(cal, clock, at);
  const businessSeconds =
    businessSecondsBetween(cal, clock.startedAt, at) - extraPause(cal, clock, 'resolution', at);
  return settle(cal, {
    ...paused,
    resolution: { ...paused.resolution, metAt: at, businessSeconds: Math.max(0, businessSeconds) },
  });
}

/** What has come due by `now` and is not recorded yet, oldest first. */
export function dueEvents(cal: BusinessCalendar, clock: SlaClock, now: Date): SlaEventDue[] {
  const out: SlaEventDue[] = [];
  for (const target of slaTargets) {
    if (!running(clock, target)) continue;
    const t = clock[target];
    for (const p of clock.warnAt) {
      if (t.warned.includes(p)) continue;
      const at = pointAt(cal, clock, target, p);
      if (at <= now) out.push({ target, kind: 'warning', threshold: p, at });
    }
    if (!t.breachedAt && t.dueAt <= now) out.push({ target, kind: 'breach', threshold: 100, at: t.dueAt });
  }
  return out.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** Mark events as recorded on the clock (warnings, breaches) and settle the next event. */
export function recorded(cal: BusinessCalendar, clock: SlaClock, events: SlaEventDue[]): SlaClock {
  const next: SlaClock = {
    ...clock,
    firstResponse: { ...clock.firstResponse },
    resolution: { ...clock.resolution },
  };
  for (const e of events) {
    const t = next[e.target];
    if (e.kind === 'warning' && !t.warned.includes(e.threshold)) t.warned = [...t.warned, e.threshold];
    if (e.kind === 'breach' && !t.breachedAt) t.breachedAt = e.at;
  }
  return settle(cal, next);
}

export type SlaState = 'ok' | 'warning' | 'breached' | 'paused' | 'met';

/** What a person sees: breached beats paused beats warning. */
export function stateOf(clock: SlaClock | null | undefined): SlaState | null {
  if (!clock) return null;
  const live = slaTargets.filter((t) => clock[t].metAt === null);
  if (slaTargets.some((t) => clock[t].breachedAt && clock[t].metAt === null)) return 'breached';
  if (!live.length) return 'met';
  if (clock.pausedSince && clock.firstResponse.metAt) return 'paused';
  if (live.some((t) => clock[t].warned.length > 0)) return 'warning';
  return 'ok';
}

/** The earliest deadline still running, for queue ordering ('far future' when none). */
export function nextDeadline(clock: SlaClock | null | undefined): Date | null {
  if (!clock) return null;
  const dues = slaTargets.filter((t) => running(clock, t)).map((t) => clock[t].dueAt);
  return dues.length ? new Date(Math.min(...dues.map((d) => d.getTime()))) : null;
}
