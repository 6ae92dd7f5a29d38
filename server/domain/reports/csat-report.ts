import { Types } from 'mongoose';
import { CsatRating } from '../../../models/csat-rating.js';
import { requirePermission } from '../auth/policy.js';
import { deriveCtx, type Ctx } from '../context.js';
import { scopeFilter } from '../tenants/scope.js';
import { listTenants } from '../tenants/tenants.js';
import { wilsonInterval, type ProportionInterval } from '../wilson-interval.js';
import { periodOf, type ReportPeriod } from './report-period.js';

/**
 * Customer satisfaction over a period, per client and per operator, across the tenants the
 * viewer serves (admins: all), never another tenant's survey.
 *
 * Definitions:
 * - a survey: one resolution whose resolved mail offered the rating links (a client whose
 *   contract turns surveys off has none); it falls in the period by when the ticket was resolved.
 * - responses: the surveys rated (a changed rating counts once, with its last score);
 *   response rate = responses / surveys.
 * - satisfied: ratings of 4 or 5; the share satisfied among responses, with its 95 % Wilson
 *   score interval (wilson-interval.ts), which stays honest for a handful of answers.
 * - per operator: the assignee when the ticket was resolved (the survey keeps it); surveys of
 *   tickets resolved while unassigned make the `unassigned` line.
 */

export interface CsatRow {
  surveys: number;
  responses: number;
  /** responses / surveys, null with no surveys. */
  responseRate: number | null;
  /** The mean score of the responses, null without any. */
  average: number | null;
  satisfied: number;
  /** The share satisfied among responses, with its 95 % interval ([0, 1] without responses). */
  interval: ProportionInterval;
}

export interface CsatReport {
  period: ReportPeriod;
  timeZone: string;
  clients: Array<CsatRow & { tenant: { id: string; code: string; legalName: string } }>;
  operators: Array<CsatRow & { operator: { id: string; name: string } | null }>;
  total: CsatRow;
}

interface Acc {
  surveys: number;
  responses: number;
  sum: number;
  satisfied: number;
}
const blank = (): Acc => ({ surveys: 0, responses: 0, sum: 0, satisfied: 0 });

export function csatRowOf(acc: Acc): CsatRow {
  return {
    surveys: acc.surveys,
    responses: acc.responses,
    responseRate: acc.surveys ? acc.responses / acc.surveys : null,
    average: acc.responses ? acc.sum / acc.responses : null,
    satisfied: acc.satisfied,
    interval: wilsonInterval(acc.satisfied, acc.responses),
  };
}

function count(acc: Acc, score: number | null | undefined): void {
  acc.surveys++;
  if (typeof score !== 'number') return;
  acc.responses++;
  acc.sum += score;
  if (score >= 4) acc.satisfied++;
}

/** The CSAT report over a period (default: last month in `timeZone`, the viewer's). */
export async function csatReport(
  ctx: Ctx,
  timeZone: string,
  query: { from?: unknown; to?: unknown } = {},
  now = new Date(),
): Promise<CsatReport> {
  requirePermission(ctx, 'reports.operators');
  const period = periodOf(timeZone, query.from, query.to, now);
  const scope = scopeFilter(deriveCtx(ctx, { tenantId: null }));
  const byTenant = new Map<string, Acc>();
  const byOperator = new Map<string, { name: string; acc: Acc }>();
  const unassigned = blank();
  const total = blank();
  const cursor = CsatRating.find({ ...scope, resolvedAt: { $gte: period.from, $lt: period.to } })
    .select({ _id: 0, tenantId: 1, assignee: 1, score: 1 })
    .lean()
    .cursor();
  for await (const row of cursor) {
    const tenantId = String(row.tenantId);
    const tenantAcc = byTenant.get(tenantId) ?? blank();
    byTenant.set(tenantId, tenantAcc);
    const opId = row.assignee?.id ? String(row.assignee.id) : null;
    let opAcc = unassigned;
    if (opId) {
      const entry = byOperator.get(opId) ?? { name: row.assignee?.name ?? '', acc: blank() };
      byOperator.set(opId, entry);
      opAcc = entry.acc;
    }
    for (const acc of [tenantAcc, opAcc, total]) count(acc, row.score);
  }
  const tenants = await listTenants(ctx);
  const clients = tenants
    .filter((t) => byTenant.has(String(t._id)))
    .map((t) => ({
      tenant: { id: String(t._id), code: t.code, legalName: t.legalName },
      ...csatRowOf(byTenant.get(String(t._id)) as Acc),
    }))
    .sort((a, b) => a.tenant.code.localeCompare(b.tenant.code));
  const operators = [
    ...[...byOperator.entries()]
      .map(([id, { name, acc }]) => ({ operator: { id, name }, ...csatRowOf(acc) }))
      .sort((a, b) => b.surveys - a.surveys || a.operator.name.localeCompare(b.operator.name)),
    ...(unassigned.surveys ? [{ operator: null, ...csatRowOf(unassigned) }] : []),
  ];
  return { period, timeZone, clients, operators, total: csatRowOf(total) };
}

/**
 * One client's CSAT over [from, to) (the weekly digest's and the statement's line): the system
 * reads it for a client already chosen by the caller's own rules.
 */
export async function clientCsat(tenantId: string, from: Date, to: Date): Promise<CsatRow> {
  const acc = blank();
  const cursor = CsatRating.find({
    tenantId: new Types.ObjectId(tenantId),
    resolvedAt: { $gte: from, $lt: to },
  })
    .select({ _id: 0, score: 1 })
    .lean()
    .cursor();
  for await (const row of cursor) count(acc, row.score);
  return csatRowOf(acc);
}
