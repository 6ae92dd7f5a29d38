import { InspectionLot, KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { loadBatch } from './batch.js';
import { appendKeyingEntry } from './keying-timeline.js';
import { drawAlgorithm } from './draw-sample.js';
import { classSamples, judgeLot, type LotPlans } from './inspect-lot.js';
import { fieldChecksOf } from './lot-field-checks.js';
import { mailAccuracyBreach } from './mail-accuracy-breach.js';
import { recordAccuracyBreach } from './record-accuracy-breach.js';
import { applyLotToSwitching } from './switching-store.js';

/**
 * Close the open lot of a batch once every sampled record has a finding (`quality.inspect`):
 * inspect-lot.ts judges it per class, then
 *
 * 1. the verdict, the error counts and the fields checked per keyer (lot-field-checks.ts) are
 *    written on the lot, conditional on it having none;
 * 2. the lot is applied to the (client, layout)'s switching state (switching-store.ts, once);
 *    a breach of the layout's accuracy target in the month is recorded (record-accuracy-breach.ts, once,
 *    announced on the bus) and mailed to the client's account managers (mail-accuracy-breach.ts, once);
 * 3. the batch moves, conditional on its round: accepted, or back to rework with the next round
 *    (the whole batch is reworked and finished again, which draws the new round's lot).
 *
 * Each step is conditional, so calling again after a crash completes what is missing. `now` is
 * the closing instant (the demo seed closes its past lots on their days).
 */
// Long function: the three crash-safe steps above in their order, each a conditional write.
export async function closeLot(ctx: Ctx, ticketRef: string, now = new Date()) {
  requirePermission(ctx, 'quality.inspect');
  const { ticket, batch, layout, layoutDoc } = await loadBatch(ctx, ticketRef);
  const tenantId = ticket.tenantId;
  const lot = await InspectionLot.findOne({ tenantId, ticketId: ticket._id, round: batch.round }).lean();
  if (!lot || batch.state !== 'inspecting') {
    throw new AppError('conflict', 'no open lot', { messageKey: 'keying.errors.no_open_lot' });
  }
  const findings = (lot.findings ?? {}) as Record<string, { wrong: string[] }>;
  const missing = lot.seqs.filter((seq) => !findings[String(seq)]);
  if (missing.length > 0) {
    throw new AppError('conflict', 'the sample is not fully inspected', {
      messageKey: 'keying.errors.sample_incomplete',
      params: { count: missing.length },
    });
  }
  const plans = lot.plans as LotPlans;
  const samples = classSamples(plans, {
    seed: lot.seed,
    algorithm: drawAlgorithm,
    lotSize: lot.lotSize,
    sampleSize: lot.indices.length,
    indices: lot.indices,
  });
  const wrongFields = new Map<number, string[]>();
  lot.indices.forEach((index, i) => wrongFields.set(index, findings[String(lot.seqs[i])]?.wrong ?? []));
  const judged = judgeLot({ layout, plans, samples, wrongFields, resubmitted: lot.resubmitted });
  const errorsByField: Record<string, number> = {};
  for (const wrong of wrongFields.values())
    for (const key of wrong) errorsByField[key] = (errorsByField[key] ?? 0) + 1;
  const verdict = judged.accepted ? 'accepted' : 'rejected';
  const keyers = new Map<number, { id?: unknown; name?: string | null }>();
  for await (const r of KeyedRecord.find({ tenantId, ticketId: ticket._id, seq: { $in: lot.seqs } })
    .select({ seq: 1, keyedBy: 1 })
    .lean()
    .cursor())
    keyers.set(r.seq, r.keyedBy);
  const fieldChecks = fieldChecksOf(
    layout.fields.map((f) => f.key),
    lot.seqs.map((seq) => ({
      keyer: keyers.get(seq) ?? { id: null, name: '' },
      wrong: findings[String(seq)]?.wrong ?? [],
    })),
  );
  const closed = await InspectionLot.findOneAndUpdate(
    { _id: lot._id, tenantId, verdict: null },
    { $set: { verdict, errorsByField, errorsByClass: judged.byClass, fieldChecks, closedAt: now } },
    { returnDocument: 'after' },
  ).lean();
  const switched = await applyLotToSwitching(tenantId, lot.layoutId, lot._id, judged.outcome);
  const closedAt = closed?.closedAt ?? lot.closedAt ?? now;
  const breached = await recordAccuracyBreach(tenantId, lot.layoutId, closedAt, {
    lotId: lot._id,
    ticket: { _id: ticket._id, number: ticket.number, type: ticket.type },
  });
  await mailAccuracyBreach(ctx, tenantId, lot._id);
  await KeyingBatch.updateOne(
    { _id: batch._id, tenantId, state: 'inspecting', round: lot.round },
    verdict === 'accepted'
      ? { $set: { state: 'accepted' } }
      : { $set: { state: 'rework' }, $inc: { round: 1 } },
  );
  // Also on a call that completes an earlier one cut short: the webhook event is written once by its key.
  domainEvents.emit('quality.lot_decided', {
    tenantId,
    ticket: { _id: ticket._id, number: ticket.number, type: ticket.type },
    sourceId: lot._id,
    at: closed?.closedAt ?? lot.closedAt ?? new Date(),
    layout: { id: lot.layoutId, name: layoutDoc.name },
    round: lot.round,
    verdict,
    lotSize: lot.lotSize,
    sampleSize: lot.indices.length,
    errorsByClass: Object.fromEntries(
      Object.entries(judged.byClass).map(([cls, c]) => [
        cls,
        { inspected: c.inspected, nonconforming: c.nonconforming },
      ]),
    ),
  });
  await appendKeyingEntry(ctx, ticket, {
    action: verdict,
    data: { round: lot.round },
    key: `keying.lot:${String(lot._id)}`,
  });
  // Once by its key: a call completing one cut short writes the entry if it is missing.
  await recordAudit(ctx, {
    action: verdict === 'accepted' ? 'quality.lot_accepted' : 'quality.lot_rejected',
    key: `quality.lot:${String(lot._id)}`,
    tenantId: String(tenantId),
    targetId: String(ticket._id),
    targetLabel: ticket.number,
    details: {
      round: lot.round,
      byClass: judged.byClass,
      ...(switched ? { switched } : {}),
      ...(breached ? { accuracyBreach: true } : {}),
    },
  });
  return { verdict, byClass: judged.byClass, switched };
}
