import { Types } from 'mongoose';
import { priorityRank, Ticket, type Channel } from '../../../models/ticket.js';
import { TicketSetup } from '../../../models/ticket-setup.js';
import { coalescedInsert } from '../../db/coalesced-insert.js';
import { GroupCommit } from '../../db/group-commit.js';
import { crossTenant, scopedCollection } from '../../db/scoped-collection.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { cachedTenant } from '../tenants/cache.js';
import { authorOf } from '../auth/authors.js';
import { claimInvoiceKey } from './invoice-keys.js';
import { notifyRequester } from './notify.js';
import { nextTicketNumber, type TicketNumber } from './numbering.js';
import type { MailTicketInput, TicketInput } from './schemas.js';
import { searchTextOf } from './search-text.js';
import { appendTimeline } from './timeline.js';
import { slaForNewTicket } from '../sla/ticket-clock.js';
import { noteSlaDue } from '../sla/due-list.js';
import { sniffType, storeAttachments, type IncomingFile } from './attachments.js';

/** New tickets written while another insert is in flight go with the next one (group commit). */
const tickets = scopedCollection(Ticket);
const setups = scopedCollection(TicketSetup);
const insertTicket = coalescedInsert(() => tickets);
const insertSetup = coalescedInsert(() => setups);
const finishedSetups = crossTenant(
  TicketSetup,
  'finished creations of every tenant leave in one command (group commit), by their unique _id',
);
/** A finished creation's setup row goes; those finished together go in one command. */
const dropSetup = new GroupCommit<Types.ObjectId, void>(async (ids) => {
  await finishedSetups.deleteMany({ _id: { $in: ids } });
  return ids.map(() => ({ ok: true as const, value: undefined }));
});

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/** The key of a ticket's `created` entry: written once, by the request or by the repair. */
export const createdEntryKey = (ticketId: unknown): string => `created:${String(ticketId)}`;

export interface CreateOptions {
  /**
   * The ticket's id, chosen by the caller (the id an `Idempotency-Key` is bound to). When a
   * ticket with this id exists already (an earlier attempt stored it), that ticket is returned.
   */
  id?: Types.ObjectId;
  /** Its number, reserved by the caller in an order of its own (numbering.ts reserveTicketNumbers). */
  number?: TicketNumber;
}

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
// Long function: one multi-step write kept in its crash-safe order (number, ticket, keys, timeline, event); each step is a call.
export async function createTicket(
  ctx: Ctx,
  input: TicketInput | MailTicketInput,
  channel: Channel,
  files: IncomingFile[] = [],
  opts: CreateOptions = {},
) {
  requirePermission(ctx, 'tickets.open');
  for (const file of files) await sniffType(file);
  const tenantId = new Types.ObjectId(clientTenantId(ctx));
  const tenant = await cachedTenant(tenantId);
  if (!tenant || tenant.status !== 'active') throw new AppError('forbidden', 'tenant not active');
  const author = authorOf(ctx);
  const { seq, number } = opts.number ?? (await nextTicketNumber(String(tenantId), tenant.code));
  const requester = { id: author.id, name: author.name, email: author.email ?? null };
  const now = new Date();
  const sla = await slaForNewTicket(String(tenantId), input.type, input.priority, now);
  // Built, defaulted and validated by the schema as Ticket.create would, then stored with one
  // plain insert: the save machinery costs more CPU than the insert itself and adds nothing here.
  const draft = new Ticket({
    ...(opts.id ? { _id: opts.id } : {}),
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
    searchText: searchTextOf({
      number,
      subject: input.subject,
      requester,
      type: input.type,
      fields: input.fields,
    }),
    createdAt: now,
    updatedAt: now,
    ...(sla ?? {}),
  });
  await draft.validate();
  const ticket = draft.toObject();
  // First the setup row: from here a crash leaves something the repair (complete-setups.ts)
  // finishes, never a ticket without its history or confirmation mail.
  const fileIds = files.map(() => new Types.ObjectId());
  await insertSetup({
    _id: ticket._id,
    tenantId,
    notify: channel !== 'import',
    fileIds,
    createdAt: now,
  }).catch((err: unknown) => {
    if (!isDuplicateKey(err)) throw err; // an earlier attempt under the same id wrote it
  });
  try {
    await insertTicket(ticket);
  } catch (err) {
    if (!(opts.id && isDuplicateKey(err))) throw err;
    // Stored by an earlier attempt under the same id (its number stays unused): that is the ticket.
    const earlier = await Ticket.findOne({ _id: opts.id, tenantId }).lean();
    if (!earlier) throw err;
    return earlier;
  }
  // Its SLA due-list row (none without a clock); a crash before it is repaired at the next start.
  await noteSlaDue(ticket);
  // Stored is what operators need to know: their queues show it while its history and mail are written.
  domainEvents.emit('ticket.created', {
    tenantId: String(tenantId),
    ticketId: String(ticket._id),
    number,
    version: ticket.version,
    ticket,
  });
  // The confirmation mail does not wait for the rest: its queueing runs alongside (one round
  // trip less per new ticket). An import shows its result page instead: one confirmation mail per
  // row would flood the requester. The requester is the caller (authorOf): their locale is on the
  // actor, no need to read them again.
  const requesterLocale =
    ctx.actor.kind === 'user' || ctx.actor.kind === 'api' ? ctx.actor.locale : undefined;
  const mail =
    channel !== 'import'
      ? notifyRequester(ctx, ticket, 'ticket_created', 'created', {}, { requesterLocale, newTicket: true })
      : Promise.resolve();
  const history = (async () => {
    // Invoices: the first ticket for a supplier invoice claims its key; a later one is its duplicate.
    const duplicateOf = await claimInvoiceKey(ticket);
    if (duplicateOf) ticket.duplicateOf = duplicateOf;
    // After the ticket: bytes never wait for a ticket that may not come. Under the ids the setup
    // row holds, so the repair links what a crash let through and removes what it cut short.
    const stored = files.length ? await storeAttachments(ctx, ticket, files, 'public', fileIds) : [];
    await appendTimeline(ctx, ticket, {
      kind: 'created',
      attachmentIds: stored.map((a) => a._id),
      visibility: 'public',
      body: input.description,
      data: { channel, ...(duplicateOf ? { duplicateOf: duplicateOf.number } : {}) },
      at: ticket.createdAt,
      key: createdEntryKey(ticket._id),
    });
  })();
  // Both settle before the answer (a failure of either is the request's), neither left unobserved.
  const [mailDone, historyDone] = await Promise.allSettled([mail, history]);
  for (const done of [historyDone, mailDone]) if (done.status === 'rejected') throw done.reason;
  // Left behind, it only costs the repair a look: the ticket is complete either way.
  await dropSetup
    .submit(ticket._id)
    .catch((err: unknown) =>
      ctx.log.warn({ err, ticket: number }, 'setup row of a created ticket not removed'),
    );
  ctx.log.info({ ticket: number, type: input.type, channel }, 'ticket created');
  return ticket;
}
