import type { Types } from 'mongoose';
import { InspectionLot, KeyedRecord } from '../../../models/quality.js';
import { AppError } from '../../errors/app-error.js';

/**
 * A rejected lot goes back for rework (ISO 2859-1 6.4: a resubmitted lot has its nonconforming
 * items corrected): before a rework round is finished again, every record the rejected lot's
 * checkers found keyed wrong must have been keyed again in this round (`round` of the record).
 * The rest of the batch is the keyers' to go through; what the inspection found is the least
 * the portal can hold them to. Refused with the count of records still waiting.
 */
export async function requireReworkDone(batch: {
  tenantId: Types.ObjectId;
  ticketId: Types.ObjectId;
  round: number;
}): Promise<void> {
  if (batch.round < 2) return;
  const rejected = await InspectionLot.findOne(
    { tenantId: batch.tenantId, ticketId: batch.ticketId, round: batch.round - 1, verdict: 'rejected' },
    { findings: 1 },
  ).lean();
  const findings = (rejected?.findings ?? {}) as Record<string, { wrong?: string[] } | undefined>;
  const wrong = Object.entries(findings)
    .filter(([, f]) => (f?.wrong ?? []).length > 0)
    .map(([seq]) => Number(seq));
  if (wrong.length === 0) return;
  const waiting = await KeyedRecord.countDocuments({
    tenantId: batch.tenantId,
    ticketId: batch.ticketId,
    seq: { $in: wrong },
    round: { $lt: batch.round },
  });
  if (waiting > 0) {
    throw new AppError('conflict', 'records found wrong are not keyed again', {
      messageKey: 'rework.pending',
      params: { count: waiting },
    });
  }
}
