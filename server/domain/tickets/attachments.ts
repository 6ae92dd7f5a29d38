import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import { Types } from 'mongoose';
import { Attachment } from '../../../models/attachment.js';
import { Ticket } from '../../../models/ticket.js';
import { scopedCollection } from '../../db/scoped-collection.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { isStaff, type Ctx } from '../context.js';
import { scopeFilter } from '../tenants/scope.js';
import { authorOf } from '../auth/authors.js';
import { gridFsStore, type BlobStore } from './blob-store.js';
import { hiddenByRestriction } from './restriction.js';

export const attachmentRules = {
  maxBytes: 10 * 1024 * 1024,
  maxFiles: 10,
  /** Types recognised by their content (magic bytes), never by the name or the declared type. */
  binaryTypes: new Map<string, string>([
    ['application/pdf', 'pdf'],
    ['image/png', 'png'],
    ['image/jpeg', 'jpg'],
    ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
  ]),
  /** Plain-text types have no magic bytes: accepted when the bytes are valid UTF-8 text. */
  textTypes: new Map<string, string>([
    ['csv', 'text/csv'],
    ['txt', 'text/plain'],
  ]),
} as const;

export interface IncomingFile {
  filename: string;
  buffer: Buffer;
  /** Its transfer encoding could not be decoded (a damaged base64 part of a mail): never kept. */
  undecodable?: boolean;
}

const store: BlobStore = gridFsStore;
/** The store attachment bytes go to (pending uploads keep theirs there too). */
export const blobStore = (): BlobStore => store;

const rejectFile = (filename: string, key: string, params: Record<string, string | number> = {}): AppError =>
  new AppError('validation', `attachment ${filename} refused`, {
    messageKey: key,
    params: { name: filename, ...params },
    fields: [{ path: 'attachments', key, params: { name: filename, ...params } }],
  });

function looksLikeText(buffer: Buffer): boolean {
  if (buffer.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    return true;
  } catch {
    return false;
  }
}

/** Decide a file's type from its content; refuse what is not on the list or is too large. */
export async function sniffType(file: IncomingFile): Promise<{ contentType: string; ext: string }> {
  if (file.undecodable) throw rejectFile(file.filename, 'attachments.undecodable');
  if (file.buffer.length === 0) throw rejectFile(file.filename, 'attachments.empty');
  if (file.buffer.length > attachmentRules.maxBytes) {
    throw rejectFile(file.filename, 'attachments.too_large', {
      max: Math.round(attachmentRules.maxBytes / 1024 / 1024),
    });
  }
  const detected = await fileTypeFromBuffer(file.buffer);
  if (detected) {
    const ext = attachmentRules.binaryTypes.get(detected.mime);
    if (!ext) throw rejectFile(file.filename, 'attachments.type_not_allowed');
    return { contentType: detected.mime, ext };
  }
  const ext = file.filename.toLowerCase().split('.').pop() ?? '';
  const textType = attachmentRules.textTypes.get(ext);
  if (textType && looksLikeText(file.buffer)) return { contentType: `${textType}; charset=utf-8`, ext };
  throw rejectFile(file.filename, 'attachments.type_not_allowed');
}

/** A name that is safe in a Content-Disposition header and on any file system. */
export function safeFilename(name: string, ext: string): string {
  const base =
    name
      .replace(/^.*[\\/]/, '')
      .replace(/[^\w.\- ]+/g, '_')
      .replace(/^\.+/, '')
      .slice(0, 120) || 'file';
  return base.toLowerCase().endsWith(`.${ext}`) ? base : `${base}.${ext}`;
}

/**
 * Check and store files for a ticket the caller may see. All files are checked before any is
 * stored, so a refused file leaves nothing half-uploaded. `fileIds` (one per file) are the ids
 * chosen and recorded before (a new ticket's setup row): a crash mid-way leaves known ids that
 * `settleChosenFiles` cleans up. The bytes go first, the row after: a row means complete bytes.
 */
export async function storeAttachments(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  files: IncomingFile[],
  visibility: 'public' | 'internal' = 'public',
  fileIds: Types.ObjectId[] = [],
) {
  if (files.length > attachmentRules.maxFiles)
    throw rejectFile(`${files.length}`, 'attachments.too_many', { max: attachmentRules.maxFiles });
  const checked = await Promise.all(files.map(async (f) => ({ ...f, ...(await sniffType(f)) })));
  const author = authorOf(ctx);
  const saved = [];
  for (const [i, f] of checked.entries()) {
    const filename = safeFilename(f.filename, f.ext);
    const fileId = await store.put(
      f.buffer,
      filename,
      { tenantId: ticket.tenantId, ticketId: ticket._id, contentType: f.contentType },
      fileIds[i],
    );
    saved.push(
      await Attachment.create({
        tenantId: ticket.tenantId,
        ticketId: ticket._id,
        fileId,
        filename,
        contentType: f.contentType,
        size: f.buffer.length,
        sha256: createHash('sha256').update(f.buffer).digest('hex'),
        visibility,
        uploadedBy: { id: author.id, name: author.name },
      }),
    );
  }
  return saved.map((a) => a.toObject());
}

/**
 * After a crash, the files chosen for a new ticket (`storeAttachments`' fileIds): returns the
 * attachments stored in full (a row exists: the ticket's own, kept when `ticketStored`) and
 * removes the bytes of every other id (an upload cut short, or none started). Without a stored
 * ticket nothing is kept. Lookups by the unique `fileId` (with its tenant) and the files' _id only: no scan.
 */
export async function settleChosenFiles(
  tenantId: Types.ObjectId,
  fileIds: Types.ObjectId[],
  ticketStored: boolean,
) {
  const attachments = scopedCollection(Attachment);
  const kept = [];
  for (const fileId of fileIds) {
    const row = await attachments.findOne({ fileId, tenantId });
    if (row && ticketStored) {
      kept.push(row);
      continue;
    }
    if (row) await attachments.deleteOne({ _id: row._id, tenantId: row.tenantId });
    await store.remove(fileId);
  }
  return kept;
}

/** An attachment the caller may download (clients: their tenant's, and not from internal notes). */
export async function openAttachment(ctx: Ctx, id: string) {
  if (!Types.ObjectId.isValid(id)) throw notFound('attachment');
  const filter: Record<string, unknown> = { ...scopeFilter(ctx), _id: new Types.ObjectId(id) };
  if (!isStaff(ctx.actor)) filter.visibility = 'public';
  const attachment = await Attachment.findOne(filter).lean();
  if (!attachment) throw notFound('attachment');
  // A restricted ticket's files are hidden with it (its id alone: the row was read in scope).
  const ticket = await Ticket.findOne({ _id: attachment.ticketId }, { restrictedAt: 1 })
    .setOptions({ allTenants: true })
    .lean();
  if (!ticket || hiddenByRestriction(ctx, ticket)) throw notFound('attachment');
  return { attachment, stream: store.open(attachment.fileId) };
}

export async function listAttachments(ctx: Ctx, ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId }) {
  const filter: Record<string, unknown> = { tenantId: ticket.tenantId, ticketId: ticket._id };
  if (!isStaff(ctx.actor)) filter.visibility = 'public';
  return Attachment.find(filter).sort({ createdAt: 1 }).lean();
}
