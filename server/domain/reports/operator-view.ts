import { Types } from 'mongoose';
import { Ticket } from '../../../models/ticket.js';
import { User } from '../../../models/user.js';
import { requirePermission } from '../auth/policy.js';
import { deriveCtx, type Ctx } from '../context.js';
import { keyerAccuracy, type KeyerAccuracyRow } from '../quality/keyer-accuracy.js';
import { slaTargets, type SlaTarget } from '../sla/clock.js';
import { scopeFilter, tenantAccess } from '../tenants/scope.js';
import { periodOf, type ReportPeriod } from './report-period.js';
import { outcomeOf, percentile } from './report-tally.js';

/**
 * The operator view for team leads (issue 7): one row per operator over a period, across the
 * tenants the viewer serves (admins: all), and never a ticket of any other tenant.
 *
 * Definitions:
 * - period: local days [from, to) in the viewer's time zone (a staff profile carries the
 *   provider's), parsed as the SLA report's; default: the last calendar month. Staff work across
 *   clients in several time zones, so one zone for the whole table: the reader's.
 * - handled: the tickets whose `resolvedAt` (their latest resolution) falls in the period,
 *   credited to the ticket's assignee: the person who held the ticket when it was resolved.
 *   A ticket resolved by someone else (a team lead closing it for an operator) still counts for
 *   its assignee; one resolved while unassigned counts in the `unassigned` line. A ticket
 *   resolved again after a reopen counts once, in the period of its last resolution. This is
 *   the SLA report's "resolved" figure, split by person.
 * - handling time: the business seconds to resolution the SLA clock stored on each handled
 *   ticket (creation to resolution in its client's business hours, waiting on the client not
 *   counted), the median of them per operator. Tickets without a measured resolution (reopened
 *   and still open, or no SLA contract) are left out of the median only.
 * - SLA outcomes: of the handled tickets, first response and resolution each met on time or
 *   breached (as the SLA report decides a target's outcome); a target not decided (no contract)
 *   counts in neither.
 * - rows: every active operator and team lead serving at least one of the viewer's tenants (so a
 *   quiet operator shows with zero), plus anyone else found as the assignee of a handled ticket.
 *   A person serving only other tenants never appears.
 * - field accuracy per keyer (quality/keyer-accuracy.ts): per keyer and client layout, over the
 *   inspection lots closed in the period, with the 95 % interval and the layout target's verdict.
 *
 * One query with a projection over the viewer's tenants, streamed: memory grows with the
 * number of operators and their handled tickets' durations, not with the tickets read.
 */

export interface OutcomeCount {
  met: number;
  breached: number;
}

export interface OperatorRow {
  /** null: the tickets resolved while nobody held them. */
  operator: { id: string; name: string; email: string } | null;
  handled: number;
  /** How many of the handled tickets have a measured resolution time (the median's sample). */
  timed: number;
  medianSeconds: number | null;
  firstResponse: OutcomeCount;
  resolution: OutcomeCount;
}

export interface OperatorView {
  period: ReportPeriod;
  timeZone: string;
  rows: OperatorRow[];
  /** Handled tickets that nobody held; null when there were none. */
  unassigned: OperatorRow | null;
  totals: { handled: number; firstResponse: OutcomeCount; resolution: OutcomeCount };
  keyers: KeyerAccuracyRow[];
}

interface Acc {
  operator: OperatorRow['operator'];
  handled: number;
  times: number[];
  firstResponse: OutcomeCount;
  resolution: OutcomeCount;
}

const blank = (operator: Acc['operator']): Acc => ({
  operator,
  handled: 0,
  times: [],
  firstResponse: { met: 0, breached: 0 },
  resolution: { met: 0, breached: 0 },
});

interface HandledDoc {
  assignee?: { id?: Types.ObjectId | null; name?: string | null; email?: string | null } | null;
  sla?: Partial<
    Record<
      SlaTarget,
      { dueAt?: Date | null; metAt?: Date | null; breachedAt?: Date | null; businessSeconds?: number | null }
    >
  > | null;
}

const rowOf = (acc: Acc): OperatorRow => {
  const sorted = [...acc.times].sort((a, b) => a - b);
  const median = percentile(sorted, 50);
  return {
    operator: acc.operator,
    handled: acc.handled,
    timed: sorted.length,
    medianSeconds: median === null ? null : Math.round(median),
    firstResponse: acc.firstResponse,
    resolution: acc.resolution,
  };
};

/** The operator view over a period (default: last month in `timeZone`, the viewer's). */
export async function operatorView(
  ctx: Ctx,
  timeZone: string,
  query: { from?: unknown; to?: unknown } = {},
  now = new Date(),
): Promise<OperatorView> {
  requirePermission(ctx, 'reports.operators');
  const period = periodOf(timeZone, query.from, query.to, now);
  // The viewer's tenants, never a chosen one: the view is across all of them.
  const scope = scopeFilter(deriveCtx(ctx, { tenantId: null }));

  const byOperator = new Map<string, Acc>();
  const access = tenantAccess(ctx);
  const serving = await User.find({
    tenantId: null,
    role: { $in: ['operator', 'team_lead'] },
    status: 'active',
    ...(access.all ? {} : { tenantIds: { $in: access.tenantIds.map((id) => new Types.ObjectId(id)) } }),
  })
    .select({ name: 1, email: 1 })
    .lean();
  for (const u of serving)
    byOperator.set(String(u._id), blank({ id: String(u._id), name: u.name, email: u.email }));

  const unassigned = blank(null);
  const cursor = Ticket.find({ ...scope, resolvedAt: { $gte: period.from, $lt: period.to } })
    .select({
      _id: 0,
      assignee: 1,
      'sla.firstResponse.dueAt': 1,
      'sla.firstResponse.metAt': 1,
      'sla.firstResponse.breachedAt': 1,
      'sla.resolution.dueAt': 1,
      'sla.resolution.metAt': 1,
      'sla.resolution.breachedAt': 1,
      'sla.resolution.businessSeconds': 1,
    })
    .lean()
    .cursor();
  for await (const raw of cursor) {
    const doc = raw as unknown as HandledDoc;
    const id = doc.assignee?.id ? String(doc.assignee.id) : null;
    let acc = unassigned;
    if (id) {
      acc =
        byOperator.get(id) ?? blank({ id, name: doc.assignee?.name ?? '', email: doc.assignee?.email ?? '' });
      byOperator.set(id, acc);
    }
    acc.handled++;
    const seconds = doc.sla?.resolution?.businessSeconds;
    if (typeof seconds === 'number' && doc.sla?.resolution?.metAt) acc.times.push(seconds);
    for (const target of slaTargets) {
      const outcome = outcomeOf(doc.sla?.[target]);
      if (outcome) acc[target][outcome.breached ? 'breached' : 'met']++;
    }
  }

  const rows = [...byOperator.values()]
    .map(rowOf)
    .sort((a, b) => b.handled - a.handled || (a.operator?.name ?? '').localeCompare(b.operator?.name ?? ''));
  const all = [...byOperator.values(), unassigned];
  const sum = (target: SlaTarget, k: keyof OutcomeCount) => all.reduce((n, a) => n + a[target][k], 0);
  return {
    period,
    timeZone,
    rows,
    keyers: await keyerAccuracy(ctx, period.from, period.to),
    unassigned: unassigned.handled ? rowOf(unassigned) : null,
    totals: {
      handled: all.reduce((n, a) => n + a.handled, 0),
      firstResponse: { met: sum('firstResponse', 'met'), breached: sum('firstResponse', 'breached') },
      resolution: { met: sum('resolution', 'met'), breached: sum('resolution', 'breached') },
    },
  };
}
