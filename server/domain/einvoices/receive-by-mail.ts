import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { Attachment } from '../../../models/attachment.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { AppError } from '../../errors/app-error.js';
import type { Reader } from '../../i18n/format.js';
import { t, type Locale } from '../../i18n/i18n.js';
import { authorOf } from '../auth/authors.js';
import { deriveCtx, type Ctx } from '../context.js';
import { blobStore, safeFilename, storeAttachments, type IncomingFile } from '../tickets/attachments.js';
import { appendTimeline } from '../tickets/timeline.js';
import { findingMessage } from './finding-message.js';
import { receiveEInvoiceBatch } from './receive-einvoice-batch.js';
import { typeOf } from './receive-einvoice.js';
import { looksSigned } from './unwrap-signed.js';

/**
 * E-invoices by mail: a mail to a client's invoice address (`<code>+invoice@…`) whose attachments
 * hold e-invoices opens the invoice tickets `receiveEInvoice` opens for the same file on the API
 * (the same ids, so the same file in another mail, or the same mail again, makes nothing twice),
 * instead of one plain ticket for the mail. The rest of the mail (its text, its other files, and
 * any file that held no readable invoice, with the reasons) is recorded once on the first of those
 * tickets. When no attachment holds a readable invoice, the intake opens an ordinary invoice ticket
 * for the mail and `keepUnreadable` puts the files on it with the findings as an internal note:
 * a mail is never lost.
 */

/** A file the e-invoice reader should see: by its content (ZIP, signed envelope, XML), or its name. */
export function isEInvoiceCandidate(file: IncomingFile): boolean {
  const bytes = file.buffer;
  if (file.undecodable || bytes.length === 0) return false;
  const name = file.filename.toLowerCase();
  if (/\.(xml|p7m|zip)$/.test(name)) return true;
  if (looksSigned(bytes)) return true;
  // A ZIP by its magic bytes only when named so: docx and xlsx are ZIPs too.
  // XML by its content: the first thing after a BOM and white space is a tag.
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && i < 1024 && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[i] as number)) i++;
  return (
    bytes[i] === 0x3c &&
    /^<(\?xml|[A-Za-z_][\w.-]*:?[\w.-]*[\s>])/.test(bytes.subarray(i, i + 200).toString('latin1'))
  );
}

export interface MailedInvoiceTicket {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  number: string;
  created: boolean;
}

export interface UnreadFile {
  file: IncomingFile;
  /** Why it held no invoice, in the reader's language. */
  reasons: string[];
}

export interface MailedEInvoices {
  /** The invoice tickets, in the order of the files and of the invoices in each. */
  tickets: MailedInvoiceTicket[];
  /** E-invoice candidates that held no invoice that could be read. */
  unread: UnreadFile[];
  /** Attachments that are not e-invoices: for the ticket the mail ends on. */
  others: IncomingFile[];
}

/** Why a file held no invoice: the refusal and its findings (finding-message.ts), for this reader. */
function reasonsOf(err: AppError, reader: Reader): string[] {
  const reasons = (err.fields ?? []).map((f) =>
    findingMessage(reader, { messageKey: f.key, params: f.params }),
  );
  const head = findingMessage(reader, { messageKey: err.messageKey, params: err.params });
  return [head, ...reasons.filter((r) => r !== head)];
}

/**
 * Read each e-invoice candidate among the attachments as the API would (the one intake, pipelined
 * by receive-einvoice-batch.ts, with channel `email`); the reasons a file could not be read are
 * written for `reader` (the client's language and time zone: they go in the internal note). Null
 * when there is none: the mail is an ordinary one. A file the reader
 * refuses (no invoice in it, too large, empty) is returned in `unread`; any other failure (the
 * database) is thrown, so the sending server tries again and the content ids make nothing twice.
 */
export async function receiveMailedEInvoices(
  ctx: Ctx,
  files: IncomingFile[],
  reader: Reader,
): Promise<MailedEInvoices | null> {
  const candidates = files.filter(isEInvoiceCandidate);
  if (!candidates.length) return null;
  const tickets: MailedInvoiceTicket[] = [];
  const unread: UnreadFile[] = [];
  const refused = (err: unknown): err is AppError =>
    err instanceof AppError && ['validation', 'payload_too_large'].includes(err.code);
  const named = candidates.map((file) => ({
    ...file,
    filename: file.filename.slice(0, 200) || 'e-invoice.xml',
  }));
  const results = await receiveEInvoiceBatch(ctx, named, {
    channel: 'email',
    stopOn: (err) => !refused(err),
  });
  results.forEach(({ receipt, error }, i) => {
    if (!receipt) {
      unread.push({ file: candidates[i]!, reasons: reasonsOf(error as AppError, reader) });
      return;
    }
    for (const invoice of receipt.invoices)
      if (!tickets.some((x) => x._id.equals(invoice.ticket.id)))
        tickets.push({
          _id: invoice.ticket.id,
          tenantId: new Types.ObjectId(ctx.tenantId as string),
          number: invoice.ticket.number,
          created: invoice.created,
        });
  });
  return { tickets, unread, others: files.filter((f) => !candidates.includes(f)) };
}

/** An id derived from its parts: the same mail and file always get the same ids. */
const derivedId = (...parts: string[]): Types.ObjectId =>
  new Types.ObjectId(createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 24));

/**
 * Keep a file the e-invoice reader could not read on a ticket as it came (the attachment rules
 * refuse XML, p7m and ZIP, and this file must not be lost): once per (ticket, content).
 */
async function keepFile(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  file: IncomingFile,
): Promise<Types.ObjectId> {
  const sha256 = createHash('sha256').update(file.buffer).digest('hex');
  const attachmentId = derivedId('mail-einvoice-attachment', String(ticket._id), sha256);
  if (await Attachment.exists({ _id: attachmentId, tenantId: ticket.tenantId })) return attachmentId;
  const fileId = derivedId('mail-einvoice-file', String(ticket._id), sha256);
  const { contentType, ext } = typeOf(file.buffer);
  const filename = safeFilename(file.filename, ext);
  // Bytes first, the row after (a row means complete bytes); a crash between them is redone.
  await blobStore().remove(fileId);
  await blobStore().put(
    file.buffer,
    filename,
    { tenantId: ticket.tenantId, ticketId: ticket._id, contentType },
    fileId,
  );
  const author = authorOf(ctx);
  await Attachment.create({
    _id: attachmentId,
    tenantId: ticket.tenantId,
    ticketId: ticket._id,
    fileId,
    filename,
    contentType,
    size: file.buffer.length,
    sha256,
    visibility: 'public',
    uploadedBy: { id: author.id, name: author.name },
  }).catch((err: unknown) => {
    if ((err as { code?: unknown }).code !== 11000) throw err;
  });
  return attachmentId;
}

/**
 * The files that held no invoice, kept on the ticket, and an internal note with the findings
 * (written once per mail: its key).
 */
export async function keepUnreadable(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  unread: UnreadFile[],
  messageId: string,
  locale: Locale,
): Promise<void> {
  if (!unread.length) return;
  const key = `mail-einvoice-unread:${String(ticket.tenantId)}:${messageId}`;
  if (await TimelineEntry.exists({ tenantId: ticket.tenantId, key })) return;
  const attachmentIds: Types.ObjectId[] = [];
  for (const { file } of unread) attachmentIds.push(await keepFile(ctx, ticket, file));
  const system = deriveCtx(ctx, { actor: { kind: 'system', name: 'mail intake' } });
  await appendTimeline(system, ticket, {
    kind: 'note',
    visibility: 'internal',
    key,
    attachmentIds,
    body: unread
      .map(({ file, reasons }) =>
        t(locale, 'einvoicemail.unread', { name: file.filename, reasons: reasons.join('; ') }),
      )
      .join('\n'),
    data: { channel: 'email', unread: unread.map((u) => ({ name: u.file.filename, reasons: u.reasons })) },
  });
}

/**
 * The rest of the mail on the first invoice ticket: its text and its other files, as one public
 * entry in the sender's name and language (once per mail: its key); then the unread files as
 * above, in `noteLocale` (the client's).
 */
export async function recordMailOnTicket(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  mail: { messageId: string; subject: string; text: string; files: IncomingFile[] },
  unread: UnreadFile[],
  locale: Locale,
  noteLocale: Locale = locale,
): Promise<void> {
  const key = `mail-einvoice:${String(ticket.tenantId)}:${mail.messageId}`;
  if (
    (mail.text.trim() || mail.files.length) &&
    !(await TimelineEntry.exists({ tenantId: ticket.tenantId, key }))
  ) {
    const stored = mail.files.length ? await storeAttachments(ctx, ticket, mail.files, 'public') : [];
    await appendTimeline(ctx, ticket, {
      kind: 'reply',
      visibility: 'public',
      key,
      attachmentIds: stored.map((a) => a._id),
      body: [t(locale, 'einvoicemail.mail', { subject: mail.subject }), mail.text.trim()]
        .filter(Boolean)
        .join('\n\n')
        .slice(0, 20_000),
      data: { channel: 'email' },
    });
  }
  await keepUnreadable(ctx, ticket, unread, mail.messageId, noteLocale);
}
