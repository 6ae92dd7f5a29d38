import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { Document } from 'mongodb';
import { z } from 'zod';
import { Attachment } from '../../../models/attachment.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket, systemTags } from '../../../models/ticket.js';
import { coalescedInsert } from '../../db/coalesced-insert.js';
import { scopedCollection } from '../../db/scoped-collection.js';
import { AppError } from '../../errors/app-error.js';
import { authorOf } from '../auth/authors.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { cachedTenant } from '../tenants/cache.js';
import { attachmentRules, blobStore, safeFilename } from '../tickets/attachments.js';
import { clientTenantId, createTicket } from '../tickets/create.js';
import { invoiceKeyOf } from '../tickets/invoice-keys.js';
import { reserveTicketNumbers, type TicketNumber } from '../tickets/numbering.js';
import { mailTicketSchema, type MailTicketInput } from '../tickets/schemas.js';
import { checkInvoice } from './check-invoice.js';
import { linkCreditNotes } from './link-credit-notes.js';
import { readEInvoice } from './read-einvoice.js';
import type { EInvoice, EInvoiceFile, EInvoiceFormat, Finding, InvoiceTicketFields } from './types.js';
import { looksSigned } from './unwrap-signed.js';
import { domainEvents } from '../events.js';
import { finding } from './findings.js';
import { validateEInvoice, validationLimits } from './validate-einvoice.js';

/**
 * An e-invoice file received as it is (the API's raw body; later the form and mail): read it,
 * keep the original once (downloadable, an attachment of the first invoice's ticket), open one
 * invoice ticket per invoice in it through `createTicket` (its numbering, duplicate rule and
 * history) and record on each what the file said (models/einvoice.ts: findings, signature,
 * lines, VAT summary, payment terms, the sibling tickets of the same file).
 *
 * Crash-safe and idempotent by content: the ids of the tickets and of the stored file are
 * derived from (tenant, sha256 of the bytes, invoice index), and the row of each invoice has a
 * unique key on (tenantId, fileHash, bodyIndex). Sending the same bytes again (a retry, or after
 * a crash part-way) completes what is missing and creates nothing twice. The same invoice in
 * other bytes (re-exported, signed, another format) makes new tickets, which the duplicate rule
 * (issue date + supplier VAT + number, tickets/invoice-keys.ts) flags, with a finding naming the first. A file with no invoice in it at all (XXE, broken envelope, not
 * an e-invoice) is refused (`validation`) with its findings, and nothing is stored.
 */

export const receiveEInvoiceInput = z.object({
  filename: z.string().trim().min(1).max(200),
});
export type ReceiveEInvoiceInput = z.infer<typeof receiveEInvoiceInput>;

export interface ReceivedInvoice {
  index: number;
  /** The entry it came from (its name inside a ZIP). */
  entryName: string;
  format: EInvoiceFormat;
  kind: EInvoice['kind'];
  /** `duplicateOf`: the number of the ticket this invoice duplicates (issue date + supplier VAT + number). */
  ticket: { id: Types.ObjectId; number: string; duplicateOf: string | null };
  /** False when an earlier sending of the same bytes made it already. */
  created: boolean;
  findings: Finding[];
}

export interface EInvoiceReceipt {
  fileHash: string;
  attachmentId: Types.ObjectId;
  invoices: ReceivedInvoice[];
  /** Findings about the upload as a whole (a ZIP's entries, and its files that held no invoice). */
  findings: Finding[];
  /** The client's time zone: the findings' instants are shown in it (finding-message.ts). */
  timeZone: string;
}

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/** An id derived from its parts: the same file always gets the same ids. */
const derivedId = (...parts: (string | number)[]): Types.ObjectId =>
  new Types.ObjectId(createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 24));

/** The id of the attachment row of a file's original (the same for every sending of those bytes). */
const einvoiceAttachmentId = (tenantId: Types.ObjectId, fileHash: string): Types.ObjectId =>
  derivedId('einvoice-attachment', String(tenantId), fileHash);

/** The id of the ticket of invoice `index` of a file (the same for every sending of those bytes). */
export const einvoiceTicketId = (tenantId: Types.ObjectId, fileHash: string, index: number): Types.ObjectId =>
  derivedId('einvoice-ticket', String(tenantId), fileHash, index);

export function typeOf(bytes: Buffer): { contentType: string; ext: string } {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return { contentType: 'application/zip', ext: 'zip' };
  if (looksSigned(bytes)) return { contentType: 'application/pkcs7-mime', ext: 'p7m' };
  return { contentType: 'application/xml', ext: 'xml' };
}

/** Attachment rows and e-invoice rows of files written together go as one insert each (group commit). */
const insertAttachment = coalescedInsert(() => scopedCollection(Attachment));
const insertRecord = coalescedInsert(() => scopedCollection(EInvoiceRecord));

/** A row built, defaulted and validated by its model, then stored with one plain (grouped) insert. */
async function insertRow<T extends { validate(): Promise<void>; toObject(): object }>(
  draft: T,
  insert: (doc: Document) => Promise<void>,
): Promise<void> {
  await draft.validate();
  await insert(draft.toObject() as Document).catch((err: unknown) => {
    if (!isDuplicateKey(err)) throw err; // an earlier or concurrent sending of the file wrote it
  });
}

/**
 * The original bytes, once per (tenant, file): under derived ids, bytes first and the row after
 * (a row means complete bytes). A crash between them leaves bytes without a row, complete or
 * cut short (chunks without their file document): the next attempt finds them in the way of its
 * own, removes what was cut short and writes them again. `stored`: whether the row is there,
 * when the caller looked already (a group looks once for all its files).
 */
async function storeOriginal(
  ctx: Ctx,
  tenantId: Types.ObjectId,
  fileHash: string,
  filename: string,
  bytes: Buffer,
  ticketId: Types.ObjectId,
  stored?: boolean,
): Promise<Types.ObjectId> {
  const attachmentId = einvoiceAttachmentId(tenantId, fileHash);
  const fileId = derivedId('einvoice-file', String(tenantId), fileHash);
  if (stored ?? (await Attachment.exists({ _id: attachmentId, tenantId }))) return attachmentId;
  const { contentType, ext } = typeOf(bytes);
  const name = safeFilename(filename, ext);
  const put = () => blobStore().put(bytes, name, { tenantId, ticketId, contentType }, fileId);
  await put().catch(async (err: unknown) => {
    if (!isDuplicateKey(err)) throw err;
    // Bytes under this id already: complete (a concurrent sending, or a crash before the row) or
    // cut short. What was cut short goes (remove keeps nothing of a file without its document).
    if (await blobStore().complete(fileId)) return;
    await blobStore().remove(fileId);
    await put().catch((again: unknown) => {
      if (!isDuplicateKey(again)) throw again; // a concurrent sending stored them meanwhile
    });
  });
  const author = authorOf(ctx);
  await insertRow(
    new Attachment({
      _id: attachmentId,
      tenantId,
      ticketId,
      fileId,
      filename: name,
      contentType,
      size: bytes.length,
      sha256: fileHash,
      visibility: 'public',
      uploadedBy: { id: author.id, name: author.name },
    }),
    insertAttachment,
  );
  return attachmentId;
}

/** The ticket input for one invoice: the fields the file has that the ticket's rules accept. */
export function ticketInputOf(invoice: EInvoice, filename: string): MailTicketInput {
  const fields: Partial<InvoiceTicketFields> = { ...invoice.fields };
  const label = [fields.supplierName ?? fields.supplierVat, fields.invoiceNumber].filter(Boolean).join(' · ');
  const draft = {
    type: 'invoice' as const,
    subject: (label.length >= 3 ? label : `${label} ${filename}`.trim()).slice(0, 200),
    description: '',
    priority: 'normal' as const,
    tags: [systemTags[0]],
    fields,
  };
  const first = mailTicketSchema.safeParse(draft);
  if (first.success) return first.data;
  // A value the ticket refuses (a VAT number with a wrong check digit) is left for staff to
  // complete; the findings say what the file had.
  for (const issue of first.error.issues)
    if (issue.path[0] === 'fields' && typeof issue.path[1] === 'string')
      delete fields[issue.path[1] as keyof InvoiceTicketFields];
  return mailTicketSchema.parse(draft);
}

interface Found {
  file: EInvoiceFile;
  invoice: EInvoice;
  index: number;
}

/** The checklist's line for an invoice that is already a ticket (warning: the house rule for typed duplicates is to flag, not refuse). */
const duplicateFinding = (number: string): Finding =>
  finding('warning', 'bpo.duplicate', 'invoicedupes.finding', { number });

/** One invoice: its ticket (made once, under its derived id) and its row. */
async function receiveOne(
  ctx: Ctx,
  base: { tenantId: Types.ObjectId; fileHash: string; filename: string; attachmentId: Types.ObjectId },
  found: Found,
  ticketIds: Types.ObjectId[],
  findings: Finding[],
  channel: 'api' | 'email' | 'portal',
  plan?: InvoicePlan,
): Promise<ReceivedInvoice> {
  const { tenantId, fileHash } = base;
  const { file, invoice, index } = found;
  const ticketId = ticketIds[index] as Types.ObjectId;
  const summary = {
    index,
    entryName: file.name,
    format: file.format ?? ('ubl' as const),
    kind: invoice.kind,
    findings,
  };
  const recorded = plan
    ? plan.recorded
    : await EInvoiceRecord.exists({ tenantId, fileHash, bodyIndex: index });
  if (recorded) {
    const ticket = await Ticket.findOne({ _id: ticketId, tenantId }).lean();
    if (ticket)
      return {
        ...summary,
        ...(ticket.duplicateOf?.number
          ? { findings: [...findings, duplicateFinding(ticket.duplicateOf.number)] }
          : {}),
        ticket: { id: ticket._id, number: ticket.number, duplicateOf: ticket.duplicateOf?.number ?? null },
        created: false,
      };
  }
  const ticket = await createTicket(ctx, ticketInputOf(invoice, base.filename), channel, [], {
    id: ticketId,
    ...(plan?.number ? { number: plan.number } : {}),
  });
  // A duplicate (issue date + supplier VAT + number of a ticket already there, typed or from any
  // file): still a ticket, flagged by createTicket, and said in its checklist too.
  const all = ticket.duplicateOf?.number
    ? [...findings, duplicateFinding(ticket.duplicateOf.number)]
    : findings;
  const row = new EInvoiceRecord({
    tenantId,
    fileHash,
    bodyIndex: index,
    ticketId,
    attachmentId: base.attachmentId,
    filename: base.filename,
    ...(file.archive ? { entryName: file.name } : {}),
    format: summary.format,
    kind: invoice.kind,
    ...(invoice.documentType ? { documentType: invoice.documentType } : {}),
    ...(file.signature ? { signature: file.signature } : {}),
    findings: all,
    lines: invoice.lines,
    vatSummary: invoice.vatSummary,
    ...(invoice.paymentTerms ? { paymentTerms: invoice.paymentTerms } : {}),
    dueDates: invoice.dueDates,
    corrects: invoice.corrects,
    ...(invoice.fields.supplierVat ? { supplierVat: invoice.fields.supplierVat } : {}),
    ...(invoice.number ? { number: invoice.number } : {}),
    siblingTicketIds: ticketIds.filter((id) => !id.equals(ticketId)),
  });
  await insertRow(row, insertRecord);
  // After the row (also on a re-sending: a crash before the links is completed by sending again).
  await linkCreditNotes(tenantId, ticketId, invoice);
  return {
    ...summary,
    findings: all,
    ticket: { id: ticket._id, number: ticket.number, duplicateOf: ticket.duplicateOf?.number ?? null },
    created: !recorded,
  };
}

/** What the bus announces of a received invoice (webhooks: `einvoice.received`, once per ticket). */
const receivedEvent = (tenantId: Types.ObjectId, i: ReceivedInvoice) => ({
  tenantId,
  ticket: { _id: i.ticket.id, number: i.ticket.number, type: 'invoice' },
  sourceId: i.ticket.id,
  at: new Date(),
  format: i.format,
  findings: {
    error: i.findings.filter((f) => f.severity === 'error').length,
    warning: i.findings.filter((f) => f.severity === 'warning').length,
    info: i.findings.filter((f) => f.severity === 'info').length,
  },
  duplicateOf: i.ticket.duplicateOf,
});

/** The file could not be read as any invoice: refused with what was found, nothing stored. */
function unreadable(filename: string, files: EInvoiceFile[], findings: Finding[]): AppError {
  const all = [...findings, ...files.flatMap((f) => f.findings)];
  const errors = all.filter((f) => f.severity === 'error');
  return new AppError('validation', 'no e-invoice in the file', {
    messageKey: 'einvoices.receive.unreadable',
    params: { name: filename },
    fields: (errors.length ? errors : all).map((f) => ({
      path: 'file',
      key: f.messageKey,
      params: f.params,
    })),
  });
}

/**
 * Each file holding invoices checked against the official XSD and Schematron rule sets of its
 * format (validate-einvoice.ts): file-level findings, shown on each of its invoices' tickets.
 * One upload spends at most `validationLimits.uploadBudgetMs` on it (a ZIP of many files): the
 * files after that (the first is always checked) are marked as not checked rather than holding
 * the request for minutes.
 */
async function validateFiles(files: EInvoiceFile[]): Promise<Map<EInvoiceFile, Finding[]>> {
  const validated = new Map<EInvoiceFile, Finding[]>();
  const started = Date.now();
  for (const file of files) {
    if (file.invoices.length === 0 || !file.format || !file.source) continue;
    validated.set(
      file,
      validated.size > 0 && Date.now() - started > validationLimits.uploadBudgetMs
        ? [finding('warning', 'rules.skipped', 'einvoicerules.skipped', { name: file.name })]
        : await validateEInvoice(file.format, file.source),
    );
  }
  return validated;
}

/** What a group's one look found for an invoice: already recorded, or the number reserved for it. */
interface InvoicePlan {
  recorded: boolean;
  number?: TicketNumber;
}

export interface ReceiveOptions {
  /** Handle only the first N invoices (a sending cut short: how the tests make a crash). */
  stopAfter?: number;
  /** The channel the tickets record (the API's by default; inbound mail says `email`). */
  channel?: 'api' | 'email' | 'portal';
}

/**
 * A file read and validated, nothing written yet (the first half of `receiveEInvoice`): a batch
 * (batch-intake.ts) prepares the next files while the current one's tickets are written, since
 * reading is the portal's work and validation the validator process's.
 */
export interface PreparedEInvoice {
  filename: string;
  bytes: Buffer;
  tenantId: Types.ObjectId;
  /** The client's time zone, for the receipt (finding-message.ts). */
  timeZone: string;
  client: { vatNumbers: string[]; name: string };
  reading: Awaited<ReturnType<typeof readEInvoice>>;
  found: Found[];
  validated: Map<EInvoiceFile, Finding[]>;
  /** sha256 of the bytes, once computed. */
  fileHash?: string;
}

export async function prepareEInvoice(
  ctx: Ctx,
  rawInput: ReceiveEInvoiceInput,
  bytes: Buffer,
): Promise<PreparedEInvoice> {
  requirePermission(ctx, 'tickets.open');
  const { filename } = receiveEInvoiceInput.parse(rawInput);
  if (bytes.length === 0)
    throw new AppError('validation', 'empty e-invoice', {
      messageKey: 'attachments.empty',
      params: { name: filename },
      fields: [{ path: 'file', key: 'attachments.empty', params: { name: filename } }],
    });
  if (bytes.length > attachmentRules.maxBytes)
    throw new AppError('payload_too_large', 'e-invoice too large', {
      messageKey: 'attachments.too_large',
      params: { name: filename, max: Math.round(attachmentRules.maxBytes / 1024 / 1024) },
    });
  const tenantId = new Types.ObjectId(clientTenantId(ctx));
  const tenant = await cachedTenant(tenantId);
  if (!tenant || tenant.status !== 'active') throw new AppError('forbidden', 'tenant not active');

  const reading = await readEInvoice(bytes, filename);
  const found: Found[] = reading.files
    .flatMap((file) => file.invoices.map((invoice) => ({ file, invoice })))
    .map((f, index) => ({ ...f, index }));
  if (found.length === 0) throw unreadable(filename, reading.files, reading.findings);
  const validated = await validateFiles(reading.files);
  const client = { vatNumbers: tenant.vatNumber ? [tenant.vatNumber] : [], name: tenant.legalName };
  return { filename, bytes, tenantId, timeZone: tenant.timeZone, client, reading, found, validated };
}

const fileHashOf = (prepared: PreparedEInvoice): string =>
  (prepared.fileHash ??= createHash('sha256').update(prepared.bytes).digest('hex'));

/** The second half: the stored original, the tickets and their rows (all the writes). */
export async function commitEInvoice(
  ctx: Ctx,
  prepared: PreparedEInvoice,
  opts: ReceiveOptions = {},
  plans?: InvoicePlan[],
  stored?: boolean,
): Promise<EInvoiceReceipt> {
  const { filename, bytes, tenantId, timeZone, client, reading, found, validated } = prepared;
  const fileHash = fileHashOf(prepared);
  const ticketIds = found.map((f) => einvoiceTicketId(tenantId, fileHash, f.index));
  const attachmentId = await storeOriginal(ctx, tenantId, fileHash, filename, bytes, ticketIds[0]!, stored);
  const invoices: ReceivedInvoice[] = [];
  // One after the other: ticket numbers follow the order of the invoices in the file (reserved
  // in that order by a group, commitEInvoiceGroup).
  for (const f of found.slice(0, opts.stopAfter ?? found.length)) {
    const findings = [
      ...f.file.findings,
      ...(validated.get(f.file) ?? []),
      ...checkInvoice({ format: f.file.format ?? 'ubl', invoice: f.invoice, client }),
    ];
    invoices.push(
      await receiveOne(
        ctx,
        { tenantId, fileHash, filename, attachmentId },
        f,
        ticketIds,
        findings,
        opts.channel ?? 'api',
        plans?.[f.index],
      ),
    );
  }
  for (const i of invoices) domainEvents.emit('einvoice.received', receivedEvent(tenantId, i));
  ctx.log.info(
    { file: filename, invoices: invoices.length, created: invoices.filter((i) => i.created).length },
    'e-invoice received',
  );
  // Files of a ZIP that held no invoice say why here (their findings belong to no ticket).
  const unread = reading.files.filter((f) => f.invoices.length === 0).flatMap((f) => f.findings);
  return {
    fileHash,
    attachmentId,
    invoices,
    findings: [...reading.findings, ...unread],
    timeZone,
  };
}

/**
 * Whether a file may be written alongside the others of a group without its outcome depending on
 * which of them lands first: not the same bytes as one of them (the same ticket ids), no invoice
 * of the same invoice key (the duplicate rule's original is the earlier file), and no credit note
 * on either side (a note and the invoice it corrects find each other by their rows: one after the
 * other, the later one sees the earlier).
 */
export function joinsGroup(group: PreparedEInvoice[], next: PreparedEInvoice): boolean {
  const keysOf = (p: PreparedEInvoice) =>
    p.found.map((f) => invoiceKeyOf(ticketInputOf(f.invoice, p.filename).fields)).filter(Boolean);
  const hasNote = (p: PreparedEInvoice) => p.found.some((f) => f.invoice.kind === 'credit_note');
  if (hasNote(next) || group.some(hasNote)) return false;
  const hashes = new Set(group.map(fileHashOf));
  const keys = new Set(group.flatMap(keysOf));
  return !hashes.has(fileHashOf(next)) && !keysOf(next).some((k) => keys.has(k));
}

/**
 * Several prepared files written together, as `commitEInvoice` writes each, in one pass: one query
 * finds which of their invoices are already recorded (a file sent again), one `$inc` of the
 * counter numbers the others in the files' order, then the files' writes run alongside, so each
 * kind of write of the group goes to the database as one command (the ticket, its setup row, its
 * invoice key, its timeline entry, its confirmation mail: group commit, server/db/group-commit.ts),
 * where one file after the other sent one command per file. Every file's writes are exactly those
 * of `commitEInvoice` alone, in the same order, under the same derived ids: what a crash between
 * two of the group's commands leaves is what it leaves of single files (the setup rows'
 * repair, tickets/complete-setups.ts, finishes the tickets; sending the files again the rest).
 * The files must be able to go together (`joinsGroup`). Each file's receipt or error, in order.
 */
export async function commitEInvoiceGroup(
  ctx: Ctx,
  group: PreparedEInvoice[],
  opts: ReceiveOptions = {},
): Promise<Array<{ ok: true; value: EInvoiceReceipt } | { ok: false; error: unknown }>> {
  if (group.length === 0) return [];
  const tenantId = group[0]!.tenantId;
  const hashes = group.map(fileHashOf);
  const [rows, originals] = await Promise.all([
    EInvoiceRecord.find({ tenantId, fileHash: { $in: hashes } }, { fileHash: 1, bodyIndex: 1 }).lean(),
    Attachment.find(
      { tenantId, _id: { $in: hashes.map((h) => einvoiceAttachmentId(tenantId, h)) } },
      { _id: 1 },
    ).lean(),
  ]);
  const storedIds = new Set(originals.map((a) => String(a._id)));
  const recorded = new Set(rows.map((r) => `${r.fileHash}|${r.bodyIndex}`));
  const plans = group.map((p, i) =>
    p.found.map((f): InvoicePlan => ({ recorded: recorded.has(`${hashes[i]}|${f.index}`) })),
  );
  const unnumbered = plans.flatMap((file) =>
    file.slice(0, opts.stopAfter ?? file.length).filter((plan) => !plan.recorded),
  );
  const tenant = await cachedTenant(tenantId);
  if (tenant && unnumbered.length) {
    const numbers = await reserveTicketNumbers(String(tenantId), tenant.code, unnumbered.length);
    unnumbered.forEach((plan, n) => (plan.number = numbers[n]));
  }
  return Promise.all(
    group.map((p, i) =>
      commitEInvoice(
        ctx,
        p,
        opts,
        plans[i],
        storedIds.has(String(einvoiceAttachmentId(tenantId, hashes[i]!))),
      ).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    ),
  );
}

export async function receiveEInvoice(
  ctx: Ctx,
  rawInput: ReceiveEInvoiceInput,
  bytes: Buffer,
  opts: ReceiveOptions = {},
): Promise<EInvoiceReceipt> {
  return commitEInvoice(ctx, await prepareEInvoice(ctx, rawInput, bytes), opts);
}
