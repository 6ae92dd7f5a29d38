import { KeyedRecord } from '../../../models/quality.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { loadBatch, openStates, personOf } from './batch.js';
import { doubleKeyedFields, incompleteFilter, sameId, type Difference } from './double-keying.js';
import { fieldRules } from './keying-view.js';

/**
 * The second keying screen: the next record of the batch that still needs its second keying and
 * was keyed by someone else, with the double-keyed fields to type. Only the record's number is
 * read from the store, never its values: the second keyer keys blind.
 */
export async function secondKeyingView(ctx: Ctx, ticketRef: string) {
  const { ticket, batch, layoutDoc, layout } = await loadBatch(ctx, ticketRef);
  const me = personOf(ctx);
  const fields = doubleKeyedFields(layout).map((f) => ({ ...f, rules: fieldRules(f) }));
  const scope = { tenantId: ticket.tenantId, ticketId: ticket._id };
  const open = (openStates as readonly string[]).includes(batch.state);
  const waiting = fields.length > 0 ? await KeyedRecord.countDocuments({ ...scope, second: null }) : 0;
  const next =
    fields.length > 0 && open && me.id
      ? await KeyedRecord.findOne({ ...scope, second: null, 'keyedBy.id': { $ne: me.id } }, { seq: 1 })
          .sort({ seq: 1 })
          .lean()
      : null;
  return {
    ticket,
    batch,
    layoutName: layoutDoc.name,
    doubleKeyed: fields.length > 0,
    open,
    fields,
    waiting,
    seq: next?.seq ?? null,
  };
}

/**
 * The differences page (`records.settle`): every record of the batch with a difference not yet
 * settled, each field with both keyings side by side and who keyed them. A record the reader
 * keyed is listed but marked: they cannot settle it.
 */
export async function differencesView(ctx: Ctx, ticketRef: string) {
  requirePermission(ctx, 'records.settle');
  const { ticket, batch, layoutDoc, layout } = await loadBatch(ctx, ticketRef);
  const me = personOf(ctx);
  const labels = new Map(layout.fields.map((f) => [f.key, f.label]));
  const scope = { tenantId: ticket.tenantId, ticketId: ticket._id };
  const rows = await KeyedRecord.find({ ...scope, unsettled: { $gt: 0 } })
    .sort({ seq: 1 })
    .limit(200)
    .lean();
  const doubled = doubleKeyedFields(layout);
  const incomplete =
    doubled.length > 0 ? await KeyedRecord.countDocuments({ ...scope, ...incompleteFilter }) : 0;
  const show = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  return {
    ticket,
    batch,
    layoutName: layoutDoc.name,
    doubleKeyed: doubled.length > 0,
    // What the page needs to show each field's keyings in the reader's number and date formats.
    formats: Object.fromEntries(
      layout.fields.map((f) => [f.key, { type: f.type, decimals: f.type === 'number' ? f.decimals : 0 }]),
    ),
    open: (openStates as readonly string[]).includes(batch.state),
    incomplete,
    records: rows.map((r) => ({
      seq: r.seq,
      firstBy: r.keyedBy.name,
      secondBy: r.second?.by?.name ?? '',
      mine: sameId(r.keyedBy.id, me.id) || sameId(r.second?.by?.id, me.id),
      differences: ((r.differences ?? []) as Difference[])
        .filter((d) => !d.settled)
        .map((d) => ({
          key: d.key,
          label: labels.get(d.key) ?? d.key,
          first: show(d.first),
          second: show(d.second),
        })),
    })),
  };
}
