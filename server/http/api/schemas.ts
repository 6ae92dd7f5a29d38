import { z } from 'zod';
import { channels, priorities, ticketStatuses, ticketTypes } from '../../../models/ticket.js';
import { timelineKinds } from '../../../models/timeline-entry.js';
import { replySchema, ticketInputSchema, ticketListQuerySchema } from '../../domain/tickets/schemas.js';

/**
 * What the REST API accepts and answers. Requests reuse the domain's schemas (the same rules as
 * the portal's forms); responses are described here and the serializer is typed by them, so the
 * OpenAPI document (generated from both) cannot drift from what the code does.
 */

// Requests.
export const apiTicketInput = ticketInputSchema;
export const apiReplyInput = replySchema.pick({ body: true });
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

export const ticketDetailJson = ticketJson.extend({
  timeline: z.array(timelineEntryJson),
  attachments: z.array(attachmentJson),
});

export const ticketListJson = z.object({
  data: z.array(ticketSummaryJson),
  page: z.number().int(),
  hasMore: z.boolean(),
});

export const replyJson = z.object({ entry: timelineEntryJson, ticket: ticketSummaryJson });

export const attachmentListJson = z.object({ data: z.array(attachmentJson) });

export const errorJson = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

export type AttachmentJson = z.infer<typeof attachmentJson>;
export type TimelineEntryJson = z.infer<typeof timelineEntryJson>;
export type TicketSummaryJson = z.infer<typeof ticketSummaryJson>;
export type TicketJson = z.infer<typeof ticketJson>;
export type TicketDetailJson = z.infer<typeof ticketDetailJson>;
