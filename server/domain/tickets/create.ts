import type { Collection } from 'mongodb';
import { Types } from 'mongoose';
import { priorityRank, Ticket, type Channel } from '../../../models/ticket.js';
import { coalescedInsert } from '../../db/coalesced-insert.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { cachedTenant } from '../tenants/cache.js';
import { authorOf } from './authors.js';
import { claimInvoiceKey } from './invoice-keys.js';
import { notifyRequester } from './notify.js';
import { nextTicketNumber } from './numbering.js';
import type { MailTicketInput, TicketInput } from './schemas.js';
import { searchTextOf } from './search-text.js';
import { appendTimeline } from './timeline.js';
import { slaForNewTicket } from '../sla/ticket-clock.js';
import { noteSlaDue } from '../sla/due-list.js';
import { sniffType, storeAttachments, type IncomingFile } from './attachments.js';

/** New tickets written while another insert is in flight go with the next one (group commit). */
const insertTicket = coalescedInsert(() => Ticket.collection as unknown as Collection);

/** The tenant a client actor works for: the only tenant their new tickets can belong to. */
export function clientTenantId(ctx: Ctx): string {
  const a = ctx.actor;
  if (a.kind === 'api') return a.tenantId;
  if (a.kind === 'user' && a.tenantId) return a.tenantId;
  throw new AppError('forbidden', 'only client accounts open tickets');
}

/**
 * Open a ticket for the caller's company: number it, flag duplicate invoices, write the first
 * timeline entry and queue the confirmation mail.
 */
export async function createTicket(ctx: Ctx, input: TicketInput | MailTicketInput, channel: Channel, files: IncomingFile[] = []) {
  requirePermission(ctx, 'tickets.open');
  for (const file of files) await sniffType(file);
  const tenantId = new Types.ObjectId(clientTenantId(ctx));
  const tenant = await cachedTenant(tenantId);
  if (!tenant || tenant.status !== 'active') throw new AppError('forbidden', 'tenant not active');
  const author = authorOf(ctx);
  const { seq, number } = await nextTicketNumber(String(tenantId), tenant.code);
  const requester = { id: author.id, name: author.name, email: author.email ?? null };
  const now = new Date();
  const sla = await slaForNewTicket(String(tenantId), input.type, input.priority, now);
  // Built, defaulted and validated by the schema as Ticket.create would, then stored with one
  // plain insert: the save machinery costs more CPU than the insert itself and adds nothing here.
  const draft = new Ticket({
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
    duplicateOf: null,
    searchText: searchTextOf({ number, subject: input.subject, requester, type: input.type, fields: input.fields }),
    createdAt: now,
    updatedAt: now,
    ...(sla ?? {}),
  });
  await draft.validate();
  const ticket = draft.toObject();
  await insertTicket(ticket);
  // Its SLA due-list row (none without a clock); a crash before it is repaired at the next start.
  await noteSlaDue(ticket);
  // Stored is what operators need to know: their queues show it while its history and mail are written.
  domainEvents.emit('ticket.created', { tenantId: String(tenantId), ticketId: String(ticket._id), number, version: ticket.version, ticket });
  // The confirmation mail does not wait for the rest: its queueing runs alongside (one round
  // trip less per new ticket). An import shows its result page instead: one confirmation mail per
  // row would flood the requester. The requester is the caller (authorOf): their locale is on the
  // actor, no need to read them again.
  const requesterLocale = ctx.actor.kind === 'user' || ctx.actor.kind === 'api' ? ctx.actor.locale : undefined;
  const mail = channel !== 'import' ? notifyRequester(ctx, ticket, 'ticket_created', 'created', {}, { requesterLocale, newTicket: true }) : Promise.resolve();
  const history = (async () => {
    // Invoices: the first ticket for a supplier invoice claims its key; a later one is its duplicate.
    const duplicateOf = await claimInvoiceKey(ticket);
    if (duplicateOf) ticket.duplicateOf = duplicateOf;
    const stored = files.length ? await storeAttachments(ctx, ticket, files) : [];
    await appendTimeline(ctx, ticket, {
      kind: 'created',
      attachmentIds: stored.map((a) => a._id),
      visibility: 'public',
      body: input.description,
      data: { channel, ...(duplicateOf ? { duplicateOf: duplicateOf.number } : {}) },
      at: ticket.createdAt,
    });
  })();
  // Both settle before the answer (a failure of either is the request's), neither left unobserved.
  const [mailDone, historyDone] = await Promise.allSettled([mail, history]);
  for (const done of [historyDone, mailDone]) if (done.status === 'rejected') throw done.reason;
  ctx.log.info({ ticket: number, type: input.type, channel }, 'ticket created');
  return ticket;
}
