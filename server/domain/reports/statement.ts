import { DateTime } from 'luxon';
import { clientAccuracy, type ClientAccuracy } from '../quality/client-accuracy.js';
import { clientCsat, type CsatRow } from './csat-report.js';
import { Tenant } from '../../../models/tenant.js';
import { priorities, Ticket, ticketTypes } from '../../../models/ticket.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { scopeFilter, withTenant } from '../tenants/scope.js';
import { approvalOutcomes } from '../tickets/schemas.js';
import { lastMonth, periodOf, type ReportPeriod } from './report-period.js';

/**
 * The monthly client statement (issue 7): what the BPO bills a client from, for one calendar
 * month in the client's time zone.
 *
 * Which tickets count:
 * - opened: created in the month;
 * - resolved: latest resolution (`resolvedAt`) in the month and resolved or closed now. A ticket
 *   reopened since waits for its next resolution and counts in that month instead: finished work
 *   is billed once, in the month it was (last) finished.
 * - records keyed: the data-entry tickets resolved in the month (batches), with the sums of
 *   their expected records, records completed and errors as staff recorded them;
 * - invoices processed: the invoice tickets resolved in the month, counted by approval outcome
 *   (`none` when staff recorded none), and the sum of their amounts per currency (summed in
 *   hundredths, so the total is exact to the cent). An invoice without amount or currency (one
 *   opened by mail and never completed) counts by outcome but adds to no currency.
 * - quality (quality/client-accuracy.ts): records keyed, inspected, accepted and reworked in the
 *   month, and field accuracy per layout and field with its 95 % interval and verdict.
 *
 * Nothing here names a person: client admins read their own company's statement.
 * One tenant-scoped query (created or resolved in the month) with a projection, streamed.
 */

export const statementTables = [
  'volumes',
  'records',
  'outcomes',
  'amounts',
  'satisfaction',
  'quality',
  'accuracy',
] as const;
export type StatementTable = (typeof statementTables)[number];
export const invoiceOutcomes = [...approvalOutcomes, 'none'] as const;
export type InvoiceOutcome = (typeof invoiceOutcomes)[number];

export interface StatementVolume {
  dimension: 'type' | 'priority';
  key: string;
  opened: number;
  resolved: number;
}

export interface Statement {
  tenant: { id: string; code: string; legalName: string; timeZone: string };
  month: ReportPeriod;
  totals: { opened: number; resolved: number };
  volumes: StatementVolume[];
  records: { batches: number; expected: number; completed: number; errors: number };
  invoices: {
    processed: number;
    outcomes: Array<{ outcome: InvoiceOutcome; count: number }>;
    amounts: Array<{ currency: string; count: number; amount: number }>;
  };
  /** Satisfaction surveys of the resolutions in the month (csat-report.ts); no operator named. */
  satisfaction: CsatRow;
  /** Records keyed, inspected, accepted, reworked and field accuracy per layout (client-accuracy.ts). */
  accuracy: ClientAccuracy;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const isObjectIdHex = (id: string): boolean => /^[0-9a-f]{24}$/i.test(id);

/** The month a reader asked for ('2025-03'), or the last full month in the time zone. */
export function monthOf(timeZone: string, month: unknown, now = new Date()): ReportPeriod {
  if (month === undefined || month === '') return lastMonth(timeZone, now);
  if (typeof month !== 'string' || !MONTH.test(month)) {
    throw new AppError('validation', 'bad statement month', {
      messageKey: 'statement.errors.month',
      fields: [{ path: 'month', key: 'statement.errors.month' }],
    });
  }
  const start = DateTime.fromISO(`${month}-01`, { zone: timeZone });
  return periodOf(timeZone, start.toISODate(), start.plus({ months: 1 }).toISODate(), now);
}

interface StatementDoc {
  type: string;
  priority: string;
  status: string;
  createdAt: Date;
  resolvedAt: Date | null;
  fields?: {
    expectedRecordCount?: unknown;
    recordsCompleted?: unknown;
    errorCount?: unknown;
    approvalOutcome?: unknown;
    amount?: unknown;
    currency?: unknown;
  } | null;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const inMonth = (d: Date | null | undefined, m: ReportPeriod): boolean => !!d && d >= m.from && d < m.to;

/** The statement of one tenant for a month (default: last month in its time zone). */
// Long function: one pass over a month's tickets tallying every figure of the statement.
export async function clientStatement(
  ctx: Ctx,
  tenantId: string,
  query: { month?: unknown } = {},
  now = new Date(),
): Promise<Statement> {
  requirePermission(ctx, 'reports.statement');
  if (!isObjectIdHex(tenantId)) throw notFound('tenant');
  const scope = scopeFilter(withTenant(ctx, tenantId));
  const tenant = await Tenant.findById(tenantId).select({ code: 1, legalName: 1, timeZone: 1 }).lean();
  if (!tenant) throw notFound('tenant');
  const month = monthOf(tenant.timeZone, query.month, now);

  const volumes = new Map<string, StatementVolume>();
  for (const key of ticketTypes)
    volumes.set(`type|${key}`, { dimension: 'type', key, opened: 0, resolved: 0 });
  for (const key of priorities)
    volumes.set(`priority|${key}`, { dimension: 'priority', key, opened: 0, resolved: 0 });
  const bump = (doc: StatementDoc, field: 'opened' | 'resolved') => {
    for (const dimension of ['type', 'priority'] as const) {
      const key = String(doc[dimension]);
      let row = volumes.get(`${dimension}|${key}`);
      if (!row) volumes.set(`${dimension}|${key}`, (row = { dimension, key, opened: 0, resolved: 0 }));
      row[field]++;
    }
  };
  const totals = { opened: 0, resolved: 0 };
  const records = { batches: 0, expected: 0, completed: 0, errors: 0 };
  const outcomes = new Map<InvoiceOutcome, number>(invoiceOutcomes.map((o) => [o, 0]));
  const cents = new Map<string, { count: number; cents: number }>();
  let processed = 0;

  const range = { $gte: month.from, $lt: month.to };
  // One scan for both figures: on the embedded engine every such query reads the whole collection.
  // `.or()` keeps tenantId first in the filter sent (a spread `$or` goes first, and the engine
  // would then try both ranges on every ticket of every tenant before looking at the tenant).
  const cursor = Ticket.find(scope)
    .or([{ createdAt: range }, { resolvedAt: range }])
    .select({
      _id: 0,
      type: 1,
      priority: 1,
      status: 1,
      createdAt: 1,
      resolvedAt: 1,
      'fields.expectedRecordCount': 1,
      'fields.recordsCompleted': 1,
      'fields.errorCount': 1,
      'fields.approvalOutcome': 1,
      'fields.amount': 1,
      'fields.currency': 1,
    })
    .lean()
    .cursor();
  for await (const raw of cursor) {
    const doc = raw as unknown as StatementDoc;
    if (inMonth(doc.createdAt, month)) {
      totals.opened++;
      bump(doc, 'opened');
    }
    if (!inMonth(doc.resolvedAt, month) || (doc.status !== 'resolved' && doc.status !== 'closed')) continue;
    totals.resolved++;
    bump(doc, 'resolved');
    const f = doc.fields ?? {};
    if (doc.type === 'data_entry') {
      records.batches++;
      records.expected += num(f.expectedRecordCount);
      records.completed += num(f.recordsCompleted);
      records.errors += num(f.errorCount);
    } else if (doc.type === 'invoice') {
      processed++;
      const outcome = (invoiceOutcomes as readonly string[]).includes(String(f.approvalOutcome))
        ? (f.approvalOutcome as InvoiceOutcome)
        : 'none';
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (
        typeof f.currency === 'string' &&
        /^[A-Z]{3}$/.test(f.currency) &&
        typeof f.amount === 'number' &&
        Number.isFinite(f.amount)
      ) {
        const sum = cents.get(f.currency) ?? { count: 0, cents: 0 };
        sum.count++;
        sum.cents += Math.round(f.amount * 100);
        cents.set(f.currency, sum);
      }
    }
  }

  const satisfaction = await clientCsat(String(tenant._id), month.from, month.to);
  const accuracy = await clientAccuracy(String(tenant._id), month.from, month.to);
  return {
    satisfaction,
    accuracy,
    tenant: {
      id: String(tenant._id),
      code: tenant.code,
      legalName: tenant.legalName,
      timeZone: tenant.timeZone,
    },
    month,
    totals,
    volumes: [...volumes.values()],
    records,
    invoices: {
      processed,
      outcomes: invoiceOutcomes.map((outcome) => ({ outcome, count: outcomes.get(outcome) ?? 0 })),
      amounts: [...cents.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([currency, s]) => ({ currency, count: s.count, amount: s.cents / 100 })),
    },
  };
}
