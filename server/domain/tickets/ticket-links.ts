import type { Types } from 'mongoose';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { appendTimeline } from './timeline.js';

/** The tickets a duplicate close or a merge links: both of one client, and two different ones. */
export function requireSameClient(
  a: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  b: { _id: Types.ObjectId; tenantId: Types.ObjectId },
): void {
  if (!a.tenantId.equals(b.tenantId))
    throw new AppError('conflict', 'tickets of different clients', { messageKey: 'duplicates.cross_tenant' });
  if (a._id.equals(b._id))
    throw new AppError('conflict', 'a ticket cannot be linked to itself', {
      messageKey: 'duplicates.same_ticket',
    });
}

/**
 * A `link` entry written once: the key is derived from the operation, so a step run again after
 * a crash finds the entry there (unique key) and goes on.
 */
export async function appendLinkOnce(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  key: string,
  data: { action: string; number: string },
): Promise<void> {
  try {
    await appendTimeline(ctx, ticket, { kind: 'link', visibility: 'public', data, key });
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== 11000) throw err;
  }
}
