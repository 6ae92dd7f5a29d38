import type { Types } from 'mongoose';
import { InspectionLot, KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { loadBatch, openStates } from './batch.js';
import { drawSample, drawAlgorithm } from './draw-sample.js';
import { incompleteFilter, isDoubleKeyed, type Difference } from './double-keying.js';
import { plansForLot } from './inspect-lot.js';
import { appendKeyingEntry, settledEntryKey } from './keying-timeline.js';
import { switchingStateOf } from './switching-store.js';
import { requireReworkDone } from './rework-done.js';

/**
 * Finish a batch (after keying, or after the rework of a rejected lot) and draw its inspection
 * sample, exactly once per round:
 *
 * 1. one conditional update moves the batch from keying/rework to inspecting (of two concurrent
 *    calls one wins; from then on no record can be added, key-record.ts);
 * 2. the lot of that round is inserted with its plans and a new seed's draw; the unique index
 *    on (ticket, round) keeps one lot per round, and a loser reads the winner's lot.
 *
 * A crash between 1 and 2 is completed by calling again: a batch inspecting without the lot of
 * its round gets it then. The plans follow the (client, layout)'s switching state; a batch is
 * not finished while inspection is discontinued (ISO 2859-1 9.4), when it holds no record, or, in
 * rework, while a record the rejected lot found wrong is not keyed again (rework-done.ts).
 */
export async function finishBatch(ctx: Ctx, ticketRef: string) {
  const { ticket, batch, layoutDoc, layout } = await loadBatch(ctx, ticketRef);
  const tenantId = ticket.tenantId;
  const state = await switchingStateOf(tenantId, layoutDoc._id);
  let round = batch.round;
  if ((openStates as readonly string[]).includes(batch.state)) {
    if (state.severity === 'discontinued') {
      throw new AppError('conflict', 'inspection is discontinued for this layout', {
        messageKey: 'keying.errors.discontinued',
      });
    }
    await requireReworkDone({ tenantId, ticketId: ticket._id, round: batch.round });
    const any = await KeyedRecord.exists({ tenantId, ticketId: ticket._id });
    if (!any) {
      throw new AppError('conflict', 'the batch holds no record', {
        messageKey: 'keying.errors.empty_batch',
      });
    }
    if (isDoubleKeyed(layout)) {
      const incomplete = await KeyedRecord.countDocuments({
        tenantId,
        ticketId: ticket._id,
        ...incompleteFilter,
      });
      if (incomplete > 0) {
        throw new AppError('conflict', 'records are not double keyed and settled', {
          messageKey: 'double.errors.unsettled',
          params: { count: incomplete },
        });
      }
    }
    const moved = await KeyingBatch.findOneAndUpdate(
      { _id: batch._id, tenantId, state: { $in: openStates }, round: batch.round },
      { $set: { state: 'inspecting' } },
      { returnDocument: 'after' },
    ).lean();
    if (moved) round = moved.round;
  }
  const existing = await InspectionLot.findOne({ tenantId, ticketId: ticket._id, round }).lean();
  if (existing) return finished(ctx, ticket, existing);
  const now = await KeyingBatch.findOne({ _id: batch._id, tenantId }).lean();
  if (!now || now.state !== 'inspecting' || now.round !== round) {
    throw new AppError('conflict', 'the batch is not waiting for inspection', {
      messageKey: 'keying.errors.batch_closed',
    });
  }
  const seqs: number[] = [];
  for await (const r of KeyedRecord.find({ tenantId, ticketId: ticket._id }, { seq: 1 })
    .sort({ seq: 1 })
    .lean()
    .cursor())
    seqs.push(r.seq);
  const severity = state.severity === 'discontinued' ? 'tightened' : state.severity;
  const plans = plansForLot(layout, seqs.length, severity);
  const drawn = drawSample({ lotSize: seqs.length, sampleSize: plans.sampleSize });
  try {
    const lot = (
      await InspectionLot.create({
        tenantId,
        ticketId: ticket._id,
        layoutId: layoutDoc._id,
        round,
        resubmitted: round > 1,
        lotSize: seqs.length,
        severity,
        plans,
        seed: drawn.seed,
        algorithm: drawAlgorithm,
        indices: drawn.indices,
        seqs: drawn.indices.map((i) => seqs[i]!),
      })
    ).toObject();
    return await finished(ctx, ticket, lot);
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    const winner = await InspectionLot.findOne({ tenantId, ticketId: ticket._id, round }).lean();
    if (!winner) throw err;
    return finished(ctx, ticket, winner);
  }
}

/** The lot drawn, after its timeline entry (once per round; a repeated call writes a missing one). */
async function finished<L extends { _id: unknown; round: number; lotSize: number; seqs: number[] }>(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  lot: L,
): Promise<L> {
  // A settlement interrupted before its entry (a crash) gets it now, at the time it was settled.
  const settled = KeyedRecord.find(
    { tenantId: ticket.tenantId, ticketId: ticket._id, unsettled: 0, second: { $ne: null } },
    { seq: 1, second: 1, differences: 1 },
  )
    .lean()
    .cursor();
  for await (const r of settled) {
    const diffs = (r.differences ?? []) as Difference[];
    if (diffs.length === 0) continue;
    const at = new Date(Math.max(...diffs.map((d) => (d.settled ? new Date(d.settled.at).getTime() : 0))));
    await appendKeyingEntry(ctx, ticket, {
      action: 'settled',
      data: { seq: r.seq, fields: diffs.length },
      key: settledEntryKey(r._id, r.second?.at),
      at,
    });
  }
  await appendKeyingEntry(ctx, ticket, {
    action: 'finished',
    data: { round: lot.round, records: lot.lotSize, sample: lot.seqs.length },
    key: `keying.finished:${String(lot._id)}`,
  });
  return lot;
}
