import type { Types } from 'mongoose';
import { LegalHold } from '../../../models/legal-hold.js';
import { isStaff, type Ctx } from '../context.js';

/**
 * The active legal holds that keep a ticket, for its page: on its client, on it, or on one of its
 * files. Staff only (a hold is the provider's and the client's lawyers' business, not the requester's).
 */
export async function holdsOnTicket(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  /** The ticket's files, as the page already read them (staff see them all). */
  files: ReadonlyArray<{ _id: Types.ObjectId }>,
) {
  if (!isStaff(ctx.actor)) return [];
  return LegalHold.find(
    {
      tenantId: ticket.tenantId,
      releasedAt: null,
      $or: [
        { scope: 'tenant' },
        { scope: 'ticket', targetId: ticket._id },
        { scope: 'document', targetId: { $in: files.map((f) => f._id) } },
      ],
    },
    { scope: 1, targetLabel: 1, reason: 1, placedBy: 1, placedAt: 1 },
  )
    .sort({ placedAt: 1 })
    .lean();
}
