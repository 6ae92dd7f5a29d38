import { businessSecondsBetween, type BusinessCalendar } from './business-time.js';
import { slaTargets, stateOf, type SlaClock } from './clock.js';
import { calendarOf } from './contract-store.js';

export interface SlaTargetView {
  target: 'firstResponse' | 'resolution';
  dueAt: Date;
  metAt: Date | null;
  breachedAt: Date | null;
  paused: boolean;
  /** Business seconds left (running and not yet due), or overdue (running and past due). */
  remainingSeconds: number | null;
  overdueSeconds: number | null;
}

export interface SlaView {
  state: string;
  policyVersion: number;
  targets: SlaTargetView[];
}

/**
 * The one SLA display of a ticket in lists (queue rows, my tickets, live updates): its state and
 * the business time left (or overdue) on the next deadline still running, as of when it was read.
 * The ticket page's panel (slaView) shows the same per target. Browsers only draw this; they
 * never count down by the wall clock (business time stops outside the client's hours).
 */
export interface SlaBrief {
  state: string;
  target: 'firstResponse' | 'resolution' | null;
  paused: boolean;
  remainingSeconds: number | null;
  overdueSeconds: number | null;
}

export function briefOf(view: SlaView | null): SlaBrief | null {
  if (!view) return null;
  const next = view.targets.find((t) => t.metAt === null) ?? null;
  return {
    state: view.state,
    target: next?.target ?? null,
    paused: next?.paused ?? false,
    remainingSeconds:
      next?.remainingSeconds === null || next?.remainingSeconds === undefined
        ? null
        : Math.round(next.remainingSeconds),
    overdueSeconds:
      next?.overdueSeconds === null || next?.overdueSeconds === undefined
        ? null
        : Math.round(next.overdueSeconds),
  };
}

/** The brief display of a ticket's clock (see SlaBrief), as of `now`. */
export async function slaBrief(
  ticket: { tenantId: unknown; sla?: unknown },
  now = new Date(),
): Promise<SlaBrief | null> {
  return briefOf(await slaView(ticket, now));
}

/** What the ticket page shows of the clock, with business time left as of `now`. */
export async function slaView(
  ticket: { tenantId: unknown; sla?: unknown },
  now = new Date(),
): Promise<SlaView | null> {
  const clock = ticket.sla as SlaClock | null | undefined;
  if (!clock) return null;
  const calendar = await calendarOf(String(ticket.tenantId));
  if (!calendar) return null;
  return viewOf(clock, calendar, now);
}

function viewOf(clock: SlaClock, calendar: BusinessCalendar, now: Date): SlaView {
  const targets = slaTargets.map((target) => {
    const t = clock[target];
    const paused = target === 'resolution' && clock.pausedSince !== null && t.metAt === null;
    return { target, overdue: t.metAt === null && !paused && t.dueAt <= now };
  });
  // Past a deadline the page says so at once, before the sweep has recorded the breach.
  const state = targets.some((t) => t.overdue) ? 'breached' : (stateOf(clock) ?? 'ok');
  return {
    state,
    policyVersion: clock.policyVersion,
    targets: slaTargets.map((target) => {
      const t = clock[target];
      const paused = target === 'resolution' && clock.pausedSince !== null && t.metAt === null;
      const live = t.metAt === null && !paused;
      return {
        target,
        dueAt: t.dueAt,
        metAt: t.metAt,
        breachedAt: t.breachedAt,
        paused,
        remainingSeconds: live && t.dueAt > now ? businessSecondsBetween(calendar, now, t.dueAt) : null,
        overdueSeconds: live && t.dueAt <= now ? businessSecondsBetween(calendar, t.dueAt, now) : null,
      };
    }),
  };
}
