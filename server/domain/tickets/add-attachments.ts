import { Ticket } from '../../../models/ticket.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { storeAttachments, type IncomingFile } from './attachments.js';
import { getTicket } from './queries.js';
import { appendTimeline } from './timeline.js';

/**
 * Attach files to a ticket the caller may see, outside a reply (client systems sending the
 * documents of a ticket they opened). Every file is checked before any is stored; the upload
 * shows in the ticket's public history. A closed ticket takes no more files.
 */
export async function addTicketAttachments(ctx: Ctx, ref: string, files: IncomingFile[]) {
  requirePermission(ctx, 'tickets.open');
  const ticket = await getTicket(ctx, ref);
  if (ticket.status === 'closed')
    throw new AppError('conflict', 'ticket is closed', { messageKey: 'tickets.closed' });
  const stored = await storeAttachments(ctx, ticket, files, 'public');
  const now = new Date();
  const updated = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId },
    { $set: { lastActivityAt: now }, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean();
  await appendTimeline(ctx, ticket, {
    kind: 'attachment',
    visibility: 'public',
    data: { files: stored.map((a) => a.filename) },
    attachmentIds: stored.map((a) => a._id),
    at: now,
  });
  domainEvents.emit('ticket.updated', {
    tenantId: String(ticket.tenantId),
    ticketId: String(ticket._id),
    number: ticket.number,
    version: updated?.version ?? ticket.version + 1,
    changes: ['attachments'],
  });
  return { ticket: updated ?? ticket, attachments: stored };
}
