import { KeyedRecord } from '../../../models/quality.js';
import { AppError } from '../../errors/app-error.js';
import type { loadBatch } from './batch.js';
import { isDoubleKeyed } from './double-keying.js';

/**
 * Double keying keeps the second keyer blind: while a record of a double-keyed batch awaits its
 * second keying, the batch's records are not exported (the file would show the first keying's
 * values). Called by every export (export-records.ts: both formats, page and API) before a byte is sent.
 */
export async function refuseBlindExport({
  ticket,
  layout,
}: Pick<Awaited<ReturnType<typeof loadBatch>>, 'ticket' | 'layout'>): Promise<void> {
  if (!isDoubleKeyed(layout)) return;
  const waiting = await KeyedRecord.countDocuments({
    tenantId: ticket.tenantId,
    ticketId: ticket._id,
    second: null,
  });
  if (waiting > 0) {
    throw new AppError('conflict', 'records await their second keying', {
      messageKey: 'double.errors.export_blind',
      params: { count: waiting },
    });
  }
}
