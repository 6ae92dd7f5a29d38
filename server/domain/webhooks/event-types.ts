import { createHash } from 'node:crypto';
import type { WebhookEventType } from '../../../models/webhook-endpoint.js';
import type { TimelineAppended } from '../events.js';
import { linkUrl } from '../settings.js';

/** The part of a timeline entry an event is derived from: what the bus carries. */
export type SourceEntry = TimelineAppended;

/** The timeline kinds that can become events (the sweep reads only these). */
export const sourceKinds = ['created', 'status', 'reply', 'assignment', 'sla', 'csat'] as const;

/** Which event a timeline entry is, or null (internal notes, field edits, attachments...). */
export function eventTypeOf(entry: SourceEntry): WebhookEventType | null {
  switch (entry.kind) {
    case 'created':
      return 'ticket.created';
    case 'status':
      return 'ticket.status_changed';
    case 'reply':
      return entry.visibility === 'public' ? 'ticket.reply_added' : null;
    case 'assignment':
      return 'ticket.assigned';
    case 'sla': {
      const kind = entry.data?.kind;
      return kind === 'breach' ? 'ticket.sla_breach' : kind === 'warning' ? 'ticket.sla_warning' : null;
    }
    case 'csat':
      return 'csat.received';
    default:
      return null;
  }
}

/**
 * The status move a reply entry records besides its text: a macro's reply (domain/macros/) is one
 * entry holding its changes, the status among them, and that move is a status event of its own.
 */
function statusChangeIn(entry: SourceEntry): { from: unknown; to: unknown } | null {
  if (entry.kind !== 'reply' || entry.visibility !== 'public') return null;
  const changes = entry.data?.changes;
  if (!Array.isArray(changes)) return null;
  const status = (changes as Array<{ field?: unknown; from?: unknown; to?: unknown }>).find(
    (c) => c.field === 'status',
  );
  return status ? { from: status.from ?? null, to: status.to ?? null } : null;
}

/**
 * Every event an entry is, each with the suffix its key takes after the entry's key (the entry's
 * own event none, so keys of existing events never change): a macro's reply is also a status move.
 */
export function eventsOf(entry: SourceEntry): Array<{ type: WebhookEventType; suffix: string }> {
  const own = eventTypeOf(entry);
  const events = own ? [{ type: own, suffix: '' }] : [];
  if (statusChangeIn(entry)) events.push({ type: 'ticket.status_changed', suffix: ':status' });
  return events;
}

/** The delivery state of an event just written: due now, never tried, held by no worker. */
export const unsentState = (now: Date) => ({
  status: 'pending' as const,
  attempts: 0,
  nextAttemptAt: now,
  leaseUntil: null,
  claimedBy: null,
  lastStatus: null,
  lastError: null,
  createdAt: now,
  deliveredAt: null,
});

/** The `webhook-id` of an event: derived from its unique key, so every attempt (and every writer) agrees. */
export const msgIdOf = (key: string): string =>
  `msg_${createHash('sha256').update(key).digest('base64url').slice(0, 27)}`;

export interface TicketFacts {
  number: string;
  type: string;
}

const pick = (data: Record<string, unknown> | null | undefined, ...names: string[]) =>
  Object.fromEntries(names.map((n) => [n, data?.[n] ?? null]));

/**
 * The thin JSON body of an event (documented in the OpenAPI document's `webhooks`): the
 * envelope of the Standard Webhooks spec (`type`, `timestamp`, `data`), the ticket's ids, number
 * and type, what changed, and links. Never the text of a reply or description.
 */
export function payloadOf(type: WebhookEventType, entry: SourceEntry, ticket: TicketFacts): string {
  const changes =
    type === 'ticket.created'
      ? pick(entry.data, 'channel')
      : type === 'ticket.status_changed'
        ? (statusChangeIn(entry) ?? pick(entry.data, 'from', 'to'))
        : type === 'ticket.reply_added'
          ? { replyId: String(entry._id), authorKind: entry.author?.kind ?? null }
          : type === 'ticket.assigned'
            ? pick(entry.data, 'action', 'to', 'from')
            : type === 'csat.received'
              ? pick(entry.data, 'score', 'resolution', 'hasComment')
              : {
                  target: entry.data?.target ?? null,
                  threshold: entry.data?.threshold ?? null,
                  dueAt: entry.data?.dueAt ? new Date(entry.data.dueAt as string).toISOString() : null,
                };
  return JSON.stringify({
    type,
    timestamp: entry.at.toISOString(),
    data: {
      tenantId: String(entry.tenantId),
      ticket: { id: String(entry.ticketId), number: ticket.number, type: ticket.type },
      ...changes,
      links: {
        ticket: linkUrl(`/tickets/${ticket.number}`),
        api: linkUrl(`/api/v1/tickets/${ticket.number}`),
      },
    },
  });
}
