import type { Types } from 'mongoose';
import { AccuracyBreach } from '../../../models/accuracy-breach.js';
import { Attachment } from '../../../models/attachment.js';
import { CsatRating } from '../../../models/csat-rating.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { InboundMessage } from '../../../models/inbound-message.js';
import { InvoiceKey } from '../../../models/invoice-key.js';
import { KeyingImport } from '../../../models/keying-import.js';
import { MailKey } from '../../../models/mail-key.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { InspectionLot, KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import { SentMail } from '../../../models/sent-mail.js';
import { SlaDue } from '../../../models/sla-due.js';
import { SlaEvent } from '../../../models/sla-event.js';
import { TicketSetup } from '../../../models/ticket-setup.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { gridFsStore } from '../tickets/blob-store.js';

/**
 * Everything the portal keeps about a ticket, outside the ticket itself: the one inventory the
 * purge deletes from (and a test checks against every collection of the database). A new model
 * with a `ticketId` belongs here.
 */
export const ticketDependants = [
  TimelineEntry,
  EInvoiceRecord,
  InvoiceKey,
  CsatRating,
  SlaEvent,
  KeyingBatch,
  KeyedRecord,
  InspectionLot,
  KeyingImport,
  AccuracyBreach,
  InboundMessage,
  WebhookEvent,
] as const;

/** Models keyed by the ticket's id itself. */
const byTicketId = [SlaDue, TicketSetup] as const;

/** Removes one stored file: its bytes first, then its row (a crash between leaves a row the next run removes). */
export async function removeAttachment(
  tenantId: Types.ObjectId,
  row: { _id: unknown; fileId: unknown },
): Promise<void> {
  await gridFsStore.remove(row.fileId as Types.ObjectId);
  await Attachment.deleteOne({ _id: row._id, tenantId });
}

/** Mails about the tickets (their keys name the ticket: `ticket:<id>:created`): keys, outbox rows and sent copies. */
async function removeMailsOf(tenantId: Types.ObjectId, ticketIds: Types.ObjectId[]): Promise<void> {
  const ids = new Set(ticketIds.map(String));
  const about = (key: string) => [...key.matchAll(/[0-9a-f]{24}/g)].some((m) => ids.has(m[0]));
  const outbox = (await OutboxMail.find({ tenantId }, { key: 1 }).lean()).filter((row) => about(row.key));
  const sent = (await SentMail.find({ tenantId }, { key: 1 }).lean()).filter((row) => about(row.key));
  // The keys first: they are found again through the rows, so a crash after this leaves rows to find them by.
  const keys = [...outbox, ...sent].map((row) => row.key);
  if (keys.length) await MailKey.deleteMany({ _id: { $in: keys } });
  if (outbox.length) await OutboxMail.deleteMany({ tenantId, _id: { $in: outbox.map((row) => row._id) } });
  if (sent.length) await SentMail.deleteMany({ tenantId, _id: { $in: sent.map((row) => row._id) } });
}

/**
 * Deletes every dependant of the tickets (never the tickets: the caller deletes them last, once
 * this returned). Idempotent: run again after a crash, it deletes what is left.
 */
export async function removeTicketData(tenantId: Types.ObjectId, ticketIds: Types.ObjectId[]): Promise<void> {
  if (ticketIds.length === 0) return;
  const files = await Attachment.find({ tenantId, ticketId: { $in: ticketIds } }, { fileId: 1 }).lean();
  for (const file of files) await removeAttachment(tenantId, file);
  // Webhook attempts hang off the events: they go first, while the events still name them.
  const events = await WebhookEvent.find({ tenantId, ticketId: { $in: ticketIds } }, { _id: 1 }).lean();
  if (events.length)
    await WebhookAttempt.deleteMany({ tenantId, eventId: { $in: events.map((e) => e._id) } });
  for (const model of ticketDependants)
    await (model as typeof TimelineEntry).deleteMany({ tenantId, ticketId: { $in: ticketIds } });
  for (const model of byTicketId) await (model as typeof SlaDue).deleteMany({ _id: { $in: ticketIds } });
  await removeMailsOf(tenantId, ticketIds);
}
