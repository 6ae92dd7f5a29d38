import { z } from 'zod';
import { channels, priorities, ticketStatuses, ticketTypes } from '../../../models/ticket.js';
import { timelineKinds } from '../../../models/timeline-entry.js';
import { replyStatuses } from '../../domain/tickets/page-flags.js';
import { replySchema, ticketInputSchema, ticketListQuerySchema } from '../../domain/tickets/schemas.js';

/**
 * What the REST API accepts and answers. Requests reuse the domain's schemas (the same rules as
 * the portal's forms); responses are described here and the serializer is typed by them, so the
 * OpenAPI document (generated from both) cannot drift from what the code does.
 */

// Requests.
export const apiTicketInput = ticketInputSchema;
/**
 * A reply and, in the same request, the status to set once it is sent (the composer's "send and
 * …"): one domain operation, replyAndSetStatus, for the portal and the API.
 */
export const apiReplyInput = replySchema.pick({ body: true }).extend({
  status: z.enum(replyStatuses).optional(),
});
export const apiTicketListQuery = ticketListQuerySchema.pick({
  status: true,
  type: true,
  priority: true,
  page: true,
});

// Responses.
const objectId = z.string().regex(/^[0-9a-f]{24}$/);
const dateTime = z.iso.datetime();

export const attachmentJson = z.object({
  id: objectId,
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: dateTime,
  uploadedBy: z.object({ name: z.string() }).nullable(),
  /** Where to download it (relative to the portal's address). */
  url: z.string(),
});

export const timelineEntryJson = z.object({
  id: objectId,
  at: dateTime,
  kind: z.enum(timelineKinds),
  author: z.object({ name: z.string(), kind: z.enum(['client', 'staff', 'system']) }).nullable(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
  attachmentIds: z.array(objectId),
});

export const ticketSummaryJson = z.object({
  id: objectId,
  number: z.string(),
  type: z.enum(ticketTypes),
  subject: z.string(),
  priority: z.enum(priorities),
  status: z.enum(ticketStatuses),
  channel: z.enum(channels),
  tags: z.array(z.string()),
  /** The type's fields, as stored (camelCase, VAT numbers normalised). */
  fields: z.record(z.string(), z.unknown()),
  /** Invoices: the earlier ticket with the same supplier VAT and invoice number. */
  duplicateOf: z.object({ number: z.string() }).nullable(),
  requester: z.object({ name: z.string(), email: z.string().nullable() }),
  assignee: z.object({ name: z.string() }).nullable(),
  version: z.number().int(),
  createdAt: dateTime,
  updatedAt: dateTime,
  lastActivityAt: dateTime,
  firstResponseAt: dateTime.nullable(),
  resolvedAt: dateTime.nullable(),
  closedAt: dateTime.nullable(),
});

export const ticketJson = ticketSummaryJson.extend({ description: z.string() });

/** A ticket's PO number with the other open tickets of the same client that name it (tickets/list-po-tickets.ts). */
export const poTicketsJson = z.object({
  po: z.string(),
  tickets: z.array(
    z.object({
      number: z.string(),
      subject: z.string(),
      type: z.enum(ticketTypes),
      status: z.enum(ticketStatuses),
      url: z.string(),
    }),
  ),
  /** More open tickets name it than are listed (the newest 20 are). */
  more: z.boolean(),
});

export const ticketDetailJson = ticketJson.extend({
  timeline: z.array(timelineEntryJson),
  attachments: z.array(attachmentJson),
  /** Null when the ticket names no PO number. */
  poTickets: poTicketsJson.nullable(),
});

export const ticketListJson = z.object({
  data: z.array(ticketSummaryJson),
  page: z.number().int(),
  hasMore: z.boolean(),
});

export const replyJson = z.object({
  entry: timelineEntryJson,
  ticket: ticketSummaryJson,
  /** The reply took the unassigned ticket for its author (staff replies only). */
  assigned: z.boolean(),
  /** The status asked for: set, or refused with the reason (the reply is sent either way). */
  status: z
    .object({
      to: z.enum(replyStatuses),
      done: z.boolean(),
      refused: z.object({ code: z.string(), message: z.string() }).optional(),
    })
    .nullable(),
});

export const attachmentListJson = z.object({ data: z.array(attachmentJson) });

export const errorJson = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** One finding about an e-invoice: its rule, severity, message (in the caller's language) and place. */
export const einvoiceFindingJson = z.object({
  severity: z.enum(['error', 'warning', 'info']),
  rule: z.string(),
  message: z.string(),
  location: z
    .object({
      line: z.number().int().optional(),
      column: z.number().int().optional(),
      path: z.string().optional(),
    })
    .nullable(),
});

/** What became of an e-invoice file: one ticket per invoice in it, with the findings of each. */
export const einvoiceReceiptJson = z.object({
  file: z.object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** The original file, as received (download it from here). */
    attachment: z.object({ id: objectId, url: z.string() }),
  }),
  invoices: z.array(
    z.object({
      /** The invoice's position in the file, from 0 (FatturaPA bodies, ZIP entries in order). */
      index: z.number().int().min(0),
      /** The file (or ZIP entry) it was read from. */
      entry: z.string(),
      format: z.enum(['fatturapa', 'peppol-bis3', 'oioubl', 'ubl']),
      kind: z.enum(['invoice', 'credit_note']),
      /** False when an earlier sending of the same file made the ticket already. */
      created: z.boolean(),
      ticket: z.object({
        id: objectId,
        number: z.string(),
        url: z.string(),
        /** The number of the ticket this invoice duplicates (same supplier VAT and number), if any. */
        duplicateOf: z.string().nullable(),
      }),
      findings: z.array(einvoiceFindingJson),
    }),
  ),
  /** Findings about the upload as a whole (a ZIP's entries). */
  findings: z.array(einvoiceFindingJson),
});

export type EInvoiceReceiptJson = z.infer<typeof einvoiceReceiptJson>;
export type AttachmentJson = z.infer<typeof attachmentJson>;
export type TimelineEntryJson = z.infer<typeof timelineEntryJson>;
export type TicketSummaryJson = z.infer<typeof ticketSummaryJson>;
export type TicketJson = z.infer<typeof ticketJson>;
export type TicketDetailJson = z.infer<typeof ticketDetailJson>;
export type ReplyJson = z.infer<typeof replyJson>;
