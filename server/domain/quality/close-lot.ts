import { InspectionLot, KeyingBatch } from '../../../models/quality.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { loadBatch } from './batch.js';
import { appendKeyingEntry } from './keying-timeline.js';
import { drawAlgorithm } from './draw-sample.js';
import { classSamples, judgeLot, type LotPlans } from './inspect-lot.js';
import { applyLotToSwitching } from './switching-store.js';

/**
 * Close the open lot of a batch once every sampled record has a finding (`quality.inspect`):
 * inspect-lot.ts judges it per class, then
 *
 * 1. the verdict and the error counts are written on the lot, conditional on it having none;
 * 2. the lot is applied to the (client, layout)'s switching state (switching-store.ts, once);
 * 3. the batch moves, conditional on its round: accepted, or back to rework with the next round
 *    (the whole batch is reworked and finished again, which draws the new round's lot).
 *
 * Each step is conditional, so calling again after a crash completes what is missing.
 */
export async function closeLot(ctx: Ctx, ticketRef: string) {
  requirePermission(ctx, 'quality.inspect');
  const { ticket, batch, layout } = await loadBatch(ctx, ticketRef);
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
  const closed = await InspectionLot.findOneAndUpdate(
    { _id: lot._id, tenantId, verdict: null },
    { $set: { verdict, errorsByField, errorsByClass: judged.byClass, closedAt: new Date() } },
    { returnDocument: 'after' },
  ).lean();
  const firstClose = closed !== null;
  const switched = await applyLotToSwitching(tenantId, lot.layoutId, lot._id, judged.outcome);
  await KeyingBatch.updateOne(
    { _id: batch._id, tenantId, state: 'inspecting', round: lot.round },
    verdict === 'accepted'
      ? { $set: { state: 'accepted' } }
      : { $set: { state: 'rework' }, $inc: { round: 1 } },
  );
  await appendKeyingEntry(ctx, ticket, {
    action: verdict,
    data: { round: lot.round },
    key: `keying.lot:${String(lot._id)}`,
  });
  if (firstClose) {
    await recordAudit(ctx, {
      action: verdict === 'accepted' ? 'quality.lot_accepted' : 'quality.lot_rejected',
      tenantId: String(tenantId),
      targetId: String(ticket._id),
      targetLabel: ticket.number,
      details: { round: lot.round, byClass: judged.byClass, ...(switched ? { switched } : {}) },
    });
  }
  return { verdict, byClass: judged.byClass, switched };
}
