import { Types } from 'mongoose';
import { Tenant } from '../../../models/tenant.js';
import { priorityRank, Ticket, type Channel } from '../../../models/ticket.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { authorOf } from './authors.js';
import { notifyRequester } from './notify.js';
import { nextTicketNumber } from './numbering.js';
import type { MailTicketInput, TicketInput } from './schemas.js';
import { searchTextOf } from './search-text.js';
import { appendTimeline } from './timeline.js';
import { sniffType, storeAttachments, type IncomingFile } from './attachments.js';

/** The tenant a client actor works for: the only tenant their new tickets can belong to. */
export function clientTenantId(ctx: Ctx): string {
  const a = ctx.actor;
  if (a.kind === 'api') return a.tenantId;
  if (a.kind === 'user' && a.tenantId) return a.tenantId;
  throw new AppError('forbidden', 'only client accounts open tickets');
}

/** Invoices: an earlier ticket of the same tenant with the same supplier VAT and invoice number. */
async function findDuplicateInvoice(tenantId: Types.ObjectId, input: TicketInput | MailTicketInput) {
  // A ticket opened by mail has no supplier or invoice number yet: nothing to compare.
  if (input.type !== 'invoice' || !input.fields.supplierVat || !input.fields.invoiceNumber) return null;
  const earlier = await Ticket.findOne({
    tenantId,
    type: 'invoice',
    'fields.supplierVat': input.fields.supplierVat,
    'fields.invoiceNumber': input.fields.invoiceNumber,
  })
    .sort({ seq: 1 })
    .select({ _id: 1, number: 1 })
    .lean();
  return earlier ? { id: earlier._id, number: earlier.number } : null;
}

/**
 * Open a ticket for the caller's company: number it, flag duplicate invoices, write the first
 * timeline entry and queue the confirmation mail.
 */
export async function createTicket(ctx: Ctx, input: TicketInput | MailTicketInput, channel: Channel, files: IncomingFile[] = []) {
  requirePermission(ctx, 'tickets.open');
  for (const file of files) await sniffType(file);
  const tenantId = new Types.ObjectId(clientTenantId(ctx));
  const tenant = await Tenant.findById(tenantId).lean();
  if (!tenant || tenant.status !== 'active') throw new AppError('forbidden', 'tenant not active');
  const author = authorOf(ctx);
  const [{ seq, number }, duplicateOf] = await Promise.all([nextTicketNumber(String(tenantId), tenant.code), findDuplicateInvoice(tenantId, input)]);
  const requester = { id: author.id, name: author.name, email: author.email ?? null };
  const ticket = await Ticket.create({
    tenantId,
    number,
    seq,
    type: input.type,
    subject: input.subject,
    description: input.description,
    priority: input.priority,
    priorityRank: priorityRank[input.priority],
    status: 'new',
    channel,
    requester,
    tags: input.tags,
    fields: input.fields,
    duplicateOf,
    searchText: searchTextOf({ number, subject: input.subject, requester, type: input.type, fields: input.fields }),
  });
  const stored = files.length ? await storeAttachments(ctx, ticket, files) : [];
  await appendTimeline(ctx, ticket, {
    kind: 'created',
    attachmentIds: stored.map((a) => a._id),
    visibility: 'public',
    body: input.description,
    data: { channel, ...(duplicateOf ? { duplicateOf: duplicateOf.number } : {}) },
    at: ticket.createdAt,
  });
  // An import shows its result page; one confirmation mail per row would flood the requester.
  if (channel !== 'import') await notifyRequester(ctx, ticket, 'ticket_created', 'created');
  domainEvents.emit('ticket.created', { tenantId: String(tenantId), ticketId: String(ticket._id), number, version: ticket.version });
  ctx.log.info({ ticket: number, type: input.type, channel }, 'ticket created');
  return ticket.toObject();
}
