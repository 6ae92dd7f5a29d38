import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import archiver from 'archiver';
import type { Types } from 'mongoose';
import { Attachment } from '../../../models/attachment.js';
import { CsatRating } from '../../../models/csat-rating.js';
import { InboundMessage } from '../../../models/inbound-message.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { PrivacyRequest } from '../../../models/privacy-request.js';
import { SentMail } from '../../../models/sent-mail.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { User } from '../../../models/user.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { gridFsStore } from '../tickets/blob-store.js';
import { restrictionFilter } from '../tickets/restriction.js';
import { actorRef } from '../sla/contract-tenant.js';
import { findPerson } from './find-person.js';
import { privacyRequestOf } from './privacy-tenant.js';

/**
 * A prepared archive: read before the first byte is sent (a refusal is still an error page), then
 * streamed by writePersonArchive.
 */
export interface PersonArchive {
  filename: string;
  requestId: string;
  json: Record<string, unknown>;
  files: Array<{ fileId: Types.ObjectId; path: string }>;
}

const safeName = (name: string): string => name.replace(/[^\p{L}\p{N}._ -]+/gu, '_').slice(0, 120) || 'file';

/** The person's tickets as they were told them: the public history, plus what they wrote themselves. */
async function ticketsOf(tenantId: Types.ObjectId, ticketIds: Types.ObjectId[], userIds: string[]) {
  const tickets = await Ticket.find({ tenantId, _id: { $in: ticketIds } }, { searchText: 0, sla: 0 })
    .sort({ createdAt: 1 })
    .lean();
  const entries = await TimelineEntry.find({ tenantId, ticketId: { $in: ticketIds } })
    .sort({ at: 1 })
    .lean();
  const theirs = new Set(userIds);
  const numbers = new Map(tickets.map((t) => [String(t._id), t.number]));
  const rows = tickets.map((t) => ({
    number: t.number,
    type: t.type,
    subject: t.subject,
    description: t.description,
    status: t.status,
    priority: t.priority,
    channel: t.channel,
    createdAt: t.createdAt,
    requester: t.requester,
    fields: t.fields,
    messages: entries
      .filter((e) => e.ticketId.equals(t._id))
      .filter((e) => e.visibility === 'public' || theirs.has(String(e.author?.id ?? '')))
      .map((e) => ({ at: e.at, kind: e.kind, author: e.author?.name ?? '', body: e.body })),
  }));
  return { rows, numbers };
}

type MailRow = {
  to: string;
  template: string;
  createdAt: Date;
  sentAt?: Date | null;
  status: string;
  params?: unknown;
};
const mailOf = (m: MailRow) => ({
  to: m.to,
  template: m.template,
  createdAt: m.createdAt,
  sentAt: m.sentAt ?? null,
  status: m.status,
  params: m.params,
});

/** What the archive holds: its JSON files by name, and the stored files with their ticket's number. */
async function personData(ctx: Ctx, tenantId: Types.ObjectId, subject: Parameters<typeof findPerson>[2]) {
  const person = await findPerson(ctx, tenantId, subject, restrictionFilter(ctx));
  const emails = person.identifiers.emails;
  const [accounts, { rows: tickets, numbers }, sent, queued, inbound, ratings, files] = await Promise.all([
    User.find({ tenantId, _id: { $in: person.userIds } }, { passwordHash: 0, sessionVersion: 0 }).lean(),
    ticketsOf(tenantId, person.ticketIds, person.userIds.map(String)),
    SentMail.find({ tenantId, to: { $in: emails } }, { headers: 0 }).lean(),
    OutboxMail.find({ tenantId, to: { $in: emails } }, { headers: 0, claimedBy: 0 }).lean(),
    InboundMessage.find({ tenantId, from: { $in: emails } }).lean(),
    CsatRating.find({ tenantId, ticketId: { $in: person.ticketIds } }).lean(),
    Attachment.find({ tenantId, ticketId: { $in: person.ticketIds }, visibility: 'public' }).lean(),
  ]);
  const json: Record<string, unknown> = {
    'account.json': accounts.map((u) => ({
      name: u.name,
      email: u.email,
      role: u.role,
      status: u.status,
      locale: u.locale,
      createdAt: (u as { createdAt?: Date }).createdAt,
      lastLoginAt: u.lastLoginAt,
    })),
    'tickets.json': tickets,
    'mails.json': [...sent, ...queued].map(mailOf),
    'inbound-mails.json': inbound.map((m) => ({
      from: m.from,
      claimedAt: m.claimedAt,
      ticketNumber: m.ticketNumber,
      outcome: m.outcome,
    })),
    'ratings.json': ratings.map((r) => ({
      ticket: r.number,
      score: r.score,
      comment: r.comment,
      ratedAt: r.ratedAt,
    })),
  };
  const stored = files.map((file) => ({
    fileId: file.fileId,
    path: `files/${numbers.get(String(file.ticketId)) ?? 'ticket'}/${String(file._id).slice(-6)}-${safeName(file.filename)}`,
  }));
  return { json, files: stored, tickets: tickets.length };
}

/** Streams the ZIP: the JSON files, the stored files, then the manifest of every entry's SHA-256. */
async function writeZip(
  out: Writable,
  requestId: string,
  json: Record<string, unknown>,
  files: Array<{ fileId: Types.ObjectId; path: string }>,
): Promise<void> {
  const zip = archiver('zip', { zlib: { level: 6 } });
  const done = new Promise<void>((resolve, reject) => {
    out.on('close', resolve).on('finish', resolve);
    zip.on('error', reject);
  });
  zip.pipe(out);
  const manifest: Array<{ path: string; bytes: number; sha256: string }> = [];
  const add = (path: string, data: Buffer) => {
    manifest.push({ path, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    zip.append(data, { name: path });
  };
  for (const [name, value] of Object.entries(json)) add(name, Buffer.from(JSON.stringify(value, null, 2)));
  for (const file of files) {
    const chunks: Buffer[] = [];
    for await (const chunk of gridFsStore.open(file.fileId)) chunks.push(chunk as Buffer);
    add(file.path, Buffer.concat(chunks));
  }
  const summary = { request: requestId, generatedAt: new Date(), files: manifest };
  zip.append(JSON.stringify(summary, null, 2), { name: 'manifest.json' });
  await zip.finalize();
  await done;
}

/**
 * Everything the portal holds about a person in one client, as a ZIP of JSON files and their files
 * (GDPR art. 15 and 20): `account.json`, `tickets.json` (with their messages), `mails.json`,
 * `inbound-mails.json`, `ratings.json`, `files/<ticket>/...` and `manifest.json` (each file's
 * SHA-256). For the request's client admin and admins, once an admin approved it; each download audited.
 * Restricted tickets are in it for admins only, as everywhere.
 */
export async function exportPerson(ctx: Ctx, requestId: string): Promise<PersonArchive> {
  const request = await privacyRequestOf(ctx, requestId);
  if (request.kind !== 'export' || !['approved', 'done'].includes(request.status))
    throw new AppError('conflict', 'not an approved export', { messageKey: 'privacy.errors.not_runnable' });
  const tenantId = request.tenantId;
  const data = await personData(ctx, tenantId, request.subject);
  await PrivacyRequest.updateOne(
    { _id: request._id, tenantId },
    {
      $set: { status: 'done', doneAt: new Date() },
      $push: { downloads: { by: actorRef(ctx), at: new Date() } },
    },
  );
  await recordAudit(ctx, {
    action: 'privacy.exported',
    tenantId: String(tenantId),
    targetId: String(request._id),
    details: { request: String(request._id), tickets: data.tickets, files: data.files.length },
  });
  return {
    filename: `personal-data-${String(request._id)}.zip`,
    requestId: String(request._id),
    json: data.json,
    files: data.files,
  };
}

/** Streams a prepared archive (exportPerson) to `out`: the ZIP, ending with its manifest. */
export async function writePersonArchive(_ctx: Ctx, archive: PersonArchive, out: Writable): Promise<void> {
  await writeZip(out, archive.requestId, archive.json, archive.files);
}
