import type { Channel, Priority, TicketStatus, TicketType } from '../../../models/ticket.js';
import type { TimelineKind } from '../../../models/timeline-entry.js';
import { findingMessage } from '../../domain/einvoices/finding-message.js';
import type { EInvoiceReceipt } from '../../domain/einvoices/receive-einvoice.js';
import type { Finding } from '../../domain/einvoices/types.js';
import type { StatusOutcome } from '../../domain/queues/reply-and-set-status.js';
import type { PoTickets } from '../../domain/tickets/list-po-tickets.js';
import type { Reader } from '../../i18n/format.js';
import { t, type Locale } from '../../i18n/i18n.js';
import type {
  AttachmentJson,
  EInvoiceReceiptJson,
  ReplyJson,
  TicketDetailJson,
  TicketJson,
  TicketSummaryJson,
  TimelineEntryJson,
} from './schemas.js';

/**
 * Stored documents to the API's public JSON: a fixed set of fields (never internal ones such as
 * searchText, seq, queueId or tenantId), ids as strings, dates as ISO 8601 in UTC, absent
 * values as null. The output types come from the response schemas in schemas.ts.
 */

type DateLike = Date | string | number | null | undefined;

interface TicketSource {
  _id: unknown;
  number: string;
  type: string;
  subject: string;
  description?: string | null;
  priority: string;
  status: string;
  channel: string;
  tags?: string[] | null;
  fields?: unknown;
  duplicateOf?: { number?: string | null } | null;
  requester?: { name?: string | null; email?: string | null } | null;
  assignee?: { name?: string | null } | null;
  version?: number | null;
  createdAt?: DateLike;
  updatedAt?: DateLike;
  lastActivityAt?: DateLike;
  firstResponseAt?: DateLike;
  resolvedAt?: DateLike;
  closedAt?: DateLike;
}

interface TimelineSource {
  _id: unknown;
  at?: DateLike;
  kind: string;
  author?: { name?: string | null; kind?: string | null } | null;
  body?: string | null;
  data?: unknown;
  attachmentIds?: unknown[] | null;
}

interface AttachmentSource {
  _id: unknown;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt?: DateLike;
  uploadedBy?: { name?: string | null } | null;
}

function iso(value: DateLike): string | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const isoOrEpoch = (value: DateLike): string => iso(value) ?? new Date(0).toISOString();

function plainObject(value: unknown): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  // A JSON round trip turns ObjectIds and dates nested in mixed fields into plain strings.
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

export const attachmentUrl = (id: unknown): string => `/api/v1/attachments/${String(id)}`;
export const ticketUrl = (number: string): string => `/api/v1/tickets/${encodeURIComponent(number)}`;

export function serializeTicketSummary(t: TicketSource): TicketSummaryJson {
  const createdAt = isoOrEpoch(t.createdAt);
  return {
    id: String(t._id),
    number: t.number,
    type: t.type as TicketType,
    subject: t.subject,
    priority: t.priority as Priority,
    status: t.status as TicketStatus,
    channel: t.channel as Channel,
    tags: [...(t.tags ?? [])],
    fields: plainObject(t.fields),
    duplicateOf: t.duplicateOf?.number ? { number: t.duplicateOf.number } : null,
    requester: { name: t.requester?.name ?? '', email: t.requester?.email ?? null },
    assignee: t.assignee?.name ? { name: t.assignee.name } : null,
    version: t.version ?? 1,
    createdAt,
    updatedAt: iso(t.updatedAt) ?? createdAt,
    lastActivityAt: iso(t.lastActivityAt) ?? createdAt,
    firstResponseAt: iso(t.firstResponseAt),
    resolvedAt: iso(t.resolvedAt),
    closedAt: iso(t.closedAt),
  };
}

export function serializeTicket(t: TicketSource): TicketJson {
  return { ...serializeTicketSummary(t), description: t.description ?? '' };
}

export function serializeTimelineEntry(e: TimelineSource): TimelineEntryJson {
  const kind = e.author?.kind;
  return {
    id: String(e._id),
    at: isoOrEpoch(e.at),
    kind: e.kind as TimelineKind,
    author: e.author
      ? { name: e.author.name ?? '', kind: kind === 'staff' || kind === 'system' ? kind : 'client' }
      : null,
    body: e.body ?? '',
    data: plainObject(e.data),
    attachmentIds: (e.attachmentIds ?? []).map(String),
  };
}

/** A sent reply: the entry, the ticket as it now is, and what became of the status asked for. */
export function serializeReply(
  locale: Locale,
  sent: { entry: TimelineSource; ticket: TicketSource; assigned: boolean; status: StatusOutcome | null },
): ReplyJson {
  const status = sent.status;
  return {
    entry: serializeTimelineEntry(sent.entry),
    ticket: serializeTicketSummary(sent.ticket),
    assigned: sent.assigned,
    status: status && {
      to: status.to,
      done: status.done,
      ...(status.refused && {
        refused: {
          code: status.refused.code,
          message: t(locale, status.refused.messageKey, status.refused.params),
        },
      }),
    },
  };
}

export function serializeAttachment(a: AttachmentSource): AttachmentJson {
  return {
    id: String(a._id),
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
    createdAt: isoOrEpoch(a.createdAt),
    uploadedBy: a.uploadedBy?.name ? { name: a.uploadedBy.name } : null,
    url: attachmentUrl(a._id),
  };
}

export function serializeTicketDetail(
  t: TicketSource,
  timeline: TimelineSource[],
  attachments: AttachmentSource[],
  poTickets: PoTickets | null = null,
): TicketDetailJson {
  return {
    ...serializeTicket(t),
    timeline: timeline.map(serializeTimelineEntry),
    attachments: attachments.map(serializeAttachment),
    poTickets: poTickets && {
      po: poTickets.po,
      tickets: poTickets.tickets.map((p) => ({
        number: p.number,
        subject: p.subject,
        type: p.type as TicketType,
        status: p.status as TicketStatus,
        url: ticketUrl(p.number),
      })),
      more: poTickets.more,
    },
  };
}

const serializeFinding = (reader: Reader, f: Finding) => ({
  severity: f.severity,
  rule: f.rule,
  message: findingMessage(reader, f),
  location: f.location
    ? {
        ...(f.location.line !== undefined ? { line: f.location.line } : {}),
        ...(f.location.column !== undefined ? { column: f.location.column } : {}),
        ...(f.location.path !== undefined ? { path: f.location.path } : {}),
      }
    : null,
});

/** A received e-invoice file: its original, and the ticket and findings of each invoice in it. */
export function serializeEInvoiceReceipt(locale: Locale, r: EInvoiceReceipt): EInvoiceReceiptJson {
  const reader = { locale, timeZone: r.timeZone };
  return {
    file: {
      sha256: r.fileHash,
      attachment: { id: String(r.attachmentId), url: attachmentUrl(r.attachmentId) },
    },
    invoices: r.invoices.map((i) => ({
      index: i.index,
      entry: i.entryName,
      format: i.format,
      kind: i.kind,
      created: i.created,
      ticket: {
        id: String(i.ticket.id),
        number: i.ticket.number,
        url: ticketUrl(i.ticket.number),
        duplicateOf: i.ticket.duplicateOf,
      },
      findings: i.findings.map((f) => serializeFinding(reader, f)),
    })),
    findings: r.findings.map((f) => serializeFinding(reader, f)),
  };
}
