import { z } from 'zod';
import { priorities, priorityRank, Ticket, type Priority, type TicketType } from '../../../models/ticket.js';
import { AppError } from '../../errors/app-error.js';
import { recordTicketAudit } from '../auth/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { getTicket } from './queries.js';
import { fieldSchemas } from './schemas.js';
import { searchTextOf } from './search-text.js';
import { appendTimeline } from './timeline.js';
import { noteSlaDue } from '../sla/due-list.js';
import { slaAfter } from '../sla/ticket-clock.js';

export const ticketUpdateSchema = z.object({
  priority: z.enum(priorities).optional(),
  tags: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? undefined : (Array.isArray(v) ? v : v.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean).slice(0, 20))),
  fields: z.record(z.string(), z.unknown()).optional(),
});
export type TicketUpdate = Partial<z.infer<typeof ticketUpdateSchema>>;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Staff edit priority, tags and the type's fields (e.g. records keyed so far, approval outcome).
 * The merged fields are validated with the type's full schema; the timeline records each change.
 */
export async function updateTicket(ctx: Ctx, ref: string, input: TicketUpdate) {
  requirePermission(ctx, 'queues.work');
  const ticket = await getTicket(ctx, ref);
  const $set: Record<string, unknown> = {};
  const changes: Array<{ field: string; from: unknown; to: unknown }> = [];
  if (input.priority && input.priority !== ticket.priority) {
    $set.priority = input.priority;
    $set.priorityRank = priorityRank[input.priority];
    changes.push({ field: 'priority', from: ticket.priority, to: input.priority });
  }
  if (input.tags && !same(input.tags, ticket.tags)) {
    $set.tags = [...new Set(input.tags)];
    changes.push({ field: 'tags', from: ticket.tags, to: $set.tags });
  }
  if (input.fields) {
    const current = (ticket.fields ?? {}) as Record<string, unknown>;
    const merged = fieldSchemas[ticket.type as TicketType].parse({ ...current, ...input.fields }) as Record<string, unknown>;
    for (const key of Object.keys(merged)) {
      if (!same(current[key], merged[key])) changes.push({ field: `fields.${key}`, from: current[key] ?? null, to: merged[key] ?? null });
    }
    $set.fields = merged;
    $set.searchText = searchTextOf({ number: ticket.number, subject: ticket.subject, requester: ticket.requester ?? null, type: ticket.type, fields: merged });
  }
  if (!changes.length) return ticket;
  $set.lastActivityAt = new Date();
  if ($set.priority) {
    // A priority change recomputes the due times from the original start.
    const clock = await slaAfter(ticket, { kind: 'retarget', at: $set.lastActivityAt as Date, type: ticket.type as TicketType, priority: input.priority as Priority });
    if (clock) Object.assign($set, clock);
  }
  // Conditional on the version read, so a concurrent edit is reported instead of overwritten.
  const updated = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, version: ticket.version },
    { $set, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean();
  if (!updated) throw new AppError('conflict', 'ticket changed meanwhile', { messageKey: 'tickets.changed_meanwhile' });
  if ($set.sla) await noteSlaDue(updated, ticket);
  await appendTimeline(ctx, updated, { kind: 'fields', visibility: 'public', data: { changes } });
  await recordTicketAudit(ctx, updated, 'ticket.fields_changed', { fields: changes.map((c) => c.field) });
  domainEvents.emit('ticket.updated', {
    tenantId: String(updated.tenantId),
    ticketId: String(updated._id),
    number: updated.number,
    version: updated.version,
    changes: changes.map((c) => c.field),
  });
  return updated;
}
