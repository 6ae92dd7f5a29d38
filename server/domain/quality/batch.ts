import { Types } from 'mongoose';
import { KeyingBatch, RecordLayoutModel } from '../../../models/quality.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { requirePermission, type Permission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { getTicket } from '../tickets/queries.js';
import { layoutOf } from './save-layout.js';

/**
 * The keying batch of a data-entry ticket with its layout, for the quality operations (staff
 * with `quality.key`, or the permission named: record files take `quality.exchange`). A ticket
 * the caller cannot see reads as not found.
 */
export async function loadBatch(ctx: Ctx, ticketRef: string, permission: Permission = 'quality.key') {
  requirePermission(ctx, permission);
  const ticket = await getTicket(ctx, ticketRef);
  const batch = await KeyingBatch.findOne({ tenantId: ticket.tenantId, ticketId: ticket._id }).lean();
  if (!batch) throw notFound('batch');
  const layoutDoc = await RecordLayoutModel.findOne({
    _id: batch.layoutId,
    tenantId: ticket.tenantId,
  }).lean();
  if (!layoutDoc) throw notFound('layout');
  return { ticket, batch, layoutDoc, layout: layoutOf(layoutDoc) };
}

/**
 * Start keying a data-entry ticket on one of its client's layouts: creates the batch once
 * (unique per ticket); starting again with the same layout returns it, another layout is refused.
 */
export async function startBatch(ctx: Ctx, ticketRef: string, layoutId: string) {
  requirePermission(ctx, 'quality.key');
  const ticket = await getTicket(ctx, ticketRef);
  if (ticket.type !== 'data_entry') {
    throw new AppError('bad_request', 'only data-entry tickets hold records', {
      messageKey: 'keying.errors.not_data_entry',
    });
  }
  if (!Types.ObjectId.isValid(layoutId)) throw notFound('layout');
  const layout = await RecordLayoutModel.findOne({
    _id: new Types.ObjectId(layoutId),
    tenantId: ticket.tenantId,
  }).lean();
  if (!layout) throw notFound('layout');
  const batch = await KeyingBatch.findOneAndUpdate(
    { tenantId: ticket.tenantId, ticketId: ticket._id },
    { $setOnInsert: { ticketNumber: ticket.number, layoutId: layout._id } },
    { upsert: true, returnDocument: 'after' },
  )
    .lean()
    .catch(async (err: { code?: number }) => {
      if (err.code !== 11000) throw err;
      return KeyingBatch.findOne({ tenantId: ticket.tenantId, ticketId: ticket._id }).lean();
    });
  if (!batch) throw notFound('batch');
  if (String(batch.layoutId) !== String(layout._id)) {
    throw new AppError('conflict', 'the ticket is keyed on another layout', {
      messageKey: 'keying.errors.other_layout',
    });
  }
  return batch;
}

export const openStates = ['keying', 'rework'] as const;

export function notOpen(): AppError {
  return new AppError('conflict', 'the batch is not open for keying', {
    messageKey: 'keying.errors.batch_closed',
  });
}

export function personOf(ctx: Ctx): { id: Types.ObjectId | null; name: string } {
  const actor = ctx.actor;
  if (actor.kind === 'user' || actor.kind === 'api')
    return { id: new Types.ObjectId(actor.userId), name: actor.name };
  return { id: null, name: actor.kind === 'system' ? actor.name : '' };
}

export function localeOf(ctx: Ctx) {
  const actor = ctx.actor;
  return actor.kind === 'user' || actor.kind === 'api' ? actor.locale : 'en';
}
