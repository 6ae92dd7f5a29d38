import { Types } from 'mongoose';
import { AccuracyBreach } from '../../../models/accuracy-breach.js';
import { InspectionLot, KeyedRecord, RecordLayoutModel } from '../../../models/quality.js';
import type { ProportionInterval } from '../wilson-interval.js';
import { accuracyBy, type AccuracyRow } from './accuracy-report.js';
import type { AccuracyVerdict } from './accuracy-verdict.js';
import type { FieldCheck } from './lot-field-checks.js';

/**
 * Field accuracy of one client over [from, to): per layout, and within each layout per field and
 * per keyer, with the 95 % Wilson interval, the sample size behind it (fields checked) and the
 * verdict against the layout's target (none when the contract sets no target). A lot counts in
 * the period it was closed in; its checked fields are those written with its verdict
 * (lot-field-checks.ts). Also the statement's record counts:
 *
 * - keyed: records of the client whose last keying falls in the period (a record re-keyed in a
 *   rework counts once, when last keyed);
 * - inspected: records drawn into the samples of the lots closed in the period;
 * - accepted: records of the lots accepted in the period (the lot size);
 * - reworked: records of the lots rejected in the period, sent back for full rework.
 *
 * The system reads it for a client its caller already chose by the caller's own rules (the SLA
 * report, the statement, the digest, the breach record): every query names that one tenant.
 */

export interface AccuracyFigure {
  /** Fields checked (the sample size behind the figure) and found keyed right. */
  inspected: number;
  correct: number;
  interval: ProportionInterval;
  /** null: no target set, or nothing inspected. */
  verdict: AccuracyVerdict | null;
}

export interface LayoutAccuracy extends AccuracyFigure {
  layoutId: string;
  name: string;
  target: number | null;
  /** Records drawn into the samples behind the figure. */
  records: number;
  fields: Array<AccuracyFigure & { field: string; label: string }>;
  keyers: Array<AccuracyFigure & { keyer: { id: string | null; name: string } }>;
}

export interface RecordCounts {
  keyed: number;
  inspected: number;
  accepted: number;
  reworked: number;
}

export interface ClientAccuracy {
  layouts: LayoutAccuracy[];
  records: RecordCounts;
  /** Breaches recorded for the months that overlap the period. */
  breaches: Array<{ layoutId: string; layoutName: string; period: string; target: number; upper: number }>;
}

interface Acc {
  records: number;
  checks: FieldCheck[];
}

export function figureOf(row: AccuracyRow, target: number | null): AccuracyFigure {
  return {
    inspected: row.inspected,
    correct: row.correct,
    interval: row.interval,
    verdict: target === null || row.inspected === 0 ? null : row.verdict,
  };
}

/** The layout's figures from its lots' checked fields. */
export function layoutAccuracy(
  layout: { id: string; name: string; target: number | null; labels: ReadonlyMap<string, string> },
  acc: Acc,
): LayoutAccuracy {
  const target = layout.target;
  const t = target ?? 0;
  const totals: Array<{ inspected: number; wrong: number }> = acc.checks.length
    ? acc.checks
    : [{ inspected: 0, wrong: 0 }];
  const [all] = accuracyBy(totals, () => '', t);
  const names = new Map(acc.checks.map((c) => [c.keyerId ?? '', c.keyerName]));
  return {
    layoutId: layout.id,
    name: layout.name,
    target,
    records: acc.records,
    ...figureOf(all!, target),
    fields: accuracyBy(acc.checks, (c) => c.field, t).map((r) => ({
      field: r.group,
      label: layout.labels.get(r.group) ?? r.group,
      ...figureOf(r, target),
    })),
    keyers: accuracyBy(acc.checks, (c) => c.keyerId ?? '', t)
      .map((r) => ({
        keyer: { id: r.group || null, name: names.get(r.group) ?? '' },
        ...figureOf(r, target),
      }))
      .sort((a, b) => a.keyer.name.localeCompare(b.keyer.name)),
  };
}

export async function clientAccuracy(
  tenantId: string,
  from: Date,
  to: Date,
  onlyLayout?: Types.ObjectId,
): Promise<ClientAccuracy> {
  const tenant = new Types.ObjectId(tenantId);
  const range = { $gte: from, $lt: to };
  const byLayout = new Map<string, Acc>();
  const records: RecordCounts = { keyed: 0, inspected: 0, accepted: 0, reworked: 0 };
  const lots = InspectionLot.find({
    tenantId: tenant,
    closedAt: range,
    ...(onlyLayout ? { layoutId: onlyLayout } : {}),
  })
    .select({ _id: 0, layoutId: 1, verdict: 1, lotSize: 1, seqs: 1, fieldChecks: 1 })
    .lean()
    .cursor();
  for await (const lot of lots) {
    const id = String(lot.layoutId);
    const acc = byLayout.get(id) ?? { records: 0, checks: [] };
    byLayout.set(id, acc);
    acc.records += lot.seqs.length;
    acc.checks.push(...((lot.fieldChecks ?? []) as FieldCheck[]));
    records.inspected += lot.seqs.length;
    if (lot.verdict === 'accepted') records.accepted += lot.lotSize;
    else if (lot.verdict === 'rejected') records.reworked += lot.lotSize;
  }
  if (!onlyLayout) records.keyed = await KeyedRecord.countDocuments({ tenantId: tenant, keyedAt: range });
  const layoutDocs = byLayout.size
    ? await RecordLayoutModel.find({
        tenantId: tenant,
        _id: { $in: [...byLayout.keys()].map((id) => new Types.ObjectId(id)) },
      })
        .select({ name: 1, fields: 1, accuracyTarget: 1 })
        .lean()
    : [];
  const layouts = layoutDocs
    .map((doc) =>
      layoutAccuracy(
        {
          id: String(doc._id),
          name: doc.name,
          target: typeof doc.accuracyTarget === 'number' ? doc.accuracyTarget : null,
          labels: new Map((doc.fields as Array<{ key: string; label: string }>).map((f) => [f.key, f.label])),
        },
        byLayout.get(String(doc._id)) as Acc,
      ),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  const breaches = onlyLayout
    ? []
    : (
        await AccuracyBreach.find({ tenantId: tenant, periodStart: { $lt: to }, periodEnd: { $gt: from } })
          .sort({ periodStart: 1, layoutName: 1 })
          .lean()
      ).map((b) => ({
        layoutId: String(b.layoutId),
        layoutName: b.layoutName,
        period: b.period,
        target: b.target,
        upper: b.upper,
      }));
  return { layouts, records, breaches };
}
