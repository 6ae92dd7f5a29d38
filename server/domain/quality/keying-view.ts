import { InspectionLot, KeyedRecord, KeyingBatch, RecordLayoutModel } from '../../../models/quality.js';
import { can, requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { listAttachments } from '../tickets/attachments.js';
import { getTicket } from '../tickets/queries.js';
import { personOf } from './batch.js';
import { doubleKeyedFields, sameId } from './double-keying.js';
import { layoutOf } from './save-layout.js';
import type { LayoutField } from './record-layout.js';

/**
 * The rules of a field as the keying screen's script reads them (data attributes): only what a
 * browser can check as the keyer types (required, length, number format and range, date, code
 * list). VAT and IBAN check digits, and everything else, are checked again by the server
 * (validate-record.ts) when the record is saved.
 */
export function fieldRules(field: LayoutField): Record<string, string> {
  const rules: Record<string, string> = { key: field.key, type: field.type, class: field.class };
  if (field.required) rules.required = 'true';
  if (field.type === 'text') rules.maxlength = String(field.maxLength);
  if (field.type === 'number') {
    rules.decimals = String(field.decimals);
    if (field.min !== undefined) rules.min = String(field.min);
    if (field.max !== undefined) rules.max = String(field.max);
  }
  if (field.type === 'code') rules.codes = field.codes.join('\n');
  return rules;
}

/** What the keying and inspection screens show of a ticket's batch. */
export async function keyingView(ctx: Ctx, ticketRef: string) {
  requirePermission(ctx, 'quality.key');
  const ticket = await getTicket(ctx, ticketRef);
  const batch = await KeyingBatch.findOne({ tenantId: ticket.tenantId, ticketId: ticket._id }).lean();
  const attachments = await listAttachments(ctx, ticket);
  const source = attachments[0] ?? null;
  if (!batch) {
    const layouts = await RecordLayoutModel.find({ tenantId: ticket.tenantId }, { name: 1 })
      .sort({ name: 1 })
      .lean();
    return { ticket, batch: null, layouts, source, fields: [], records: [], recordCount: 0, lot: null };
  }
  const layoutDoc = await RecordLayoutModel.findOne({
    _id: batch.layoutId,
    tenantId: ticket.tenantId,
  }).lean();
  const layout = layoutDoc ? layoutOf(layoutDoc) : null;
  const fields = (layout?.fields ?? []).map((f) => ({ ...f, rules: fieldRules(f) }));
  const recordCount = await KeyedRecord.countDocuments({ tenantId: ticket.tenantId, ticketId: ticket._id });
  const records = await KeyedRecord.find({ tenantId: ticket.tenantId, ticketId: ticket._id })
    .sort({ seq: -1 })
    .limit(10)
    .lean();
  const lot = await InspectionLot.findOne({
    tenantId: ticket.tenantId,
    ticketId: ticket._id,
    round: batch.round,
  }).lean();
  const keys = fields.map((f) => f.key);
  // Double keying: a record's double-keyed values stay hidden from everyone but its keyer until
  // its second keying is in, so that the second keyer keys blind.
  const doubled = new Set(layout ? doubleKeyedFields(layout).map((f) => f.key) : []);
  const me = personOf(ctx).id;
  const hidden = (r: (typeof records)[number], key: string) =>
    doubled.has(key) && !r.second && !sameId(r.keyedBy.id, me);
  const scope = { tenantId: ticket.tenantId, ticketId: ticket._id };
  const double =
    doubled.size > 0
      ? {
          waiting: await KeyedRecord.countDocuments({ ...scope, second: null }),
          unsettled: await KeyedRecord.countDocuments({ ...scope, unsettled: { $gt: 0 } }),
        }
      : null;
  return {
    ticket,
    batch,
    layoutName: layoutDoc?.name ?? '',
    layouts: [],
    source,
    fields,
    recordCount,
    records: records.map((r) => ({
      seq: r.seq,
      keyedBy: r.keyedBy.name,
      cells: keys.map((k) =>
        hidden(r, k) ? { hidden: true } : ((r.values as Record<string, unknown>)[k] ?? ''),
      ),
    })),
    lot,
    open: batch.state === 'keying' || batch.state === 'rework',
    double: double && { ...double, canSettle: can(ctx.actor, 'records.settle') },
  };
}

/** The inspection screen: the open lot's sampled records with their findings. */
export async function inspectionView(ctx: Ctx, ticketRef: string) {
  requirePermission(ctx, 'quality.inspect');
  const view = await keyingView(ctx, ticketRef);
  if (!view.lot) return { ...view, sample: [] };
  const findings = (view.lot.findings ?? {}) as Record<string, { wrong: string[]; by: { name: string } }>;
  const rows = await KeyedRecord.find({
    tenantId: view.ticket.tenantId,
    ticketId: view.ticket._id,
    seq: { $in: view.lot.seqs },
  })
    .sort({ seq: 1 })
    .lean();
  const sample = rows.map((r) => {
    const finding = findings[String(r.seq)];
    return {
      seq: r.seq,
      keyedBy: r.keyedBy.name,
      checked: Boolean(finding),
      checkedBy: finding?.by.name ?? '',
      fields: view.fields.map((f) => ({
        key: f.key,
        label: f.label,
        value: (r.values as Record<string, unknown>)[f.key] ?? '',
        wrong: finding?.wrong.includes(f.key) ?? false,
      })),
    };
  });
  return { ...view, sample };
}

/** The source document (the ticket's first attachment), for the keying screen's side panel. */
export async function sourceDocument(ctx: Ctx, ticketRef: string) {
  requirePermission(ctx, 'quality.key');
  const ticket = await getTicket(ctx, ticketRef);
  const [first] = await listAttachments(ctx, ticket);
  return first ?? null;
}
