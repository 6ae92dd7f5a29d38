import { Types } from 'mongoose';
import { Attachment } from '../../../models/attachment.js';
import { AuditEvent } from '../../../models/audit-event.js';
import { InboundMessage } from '../../../models/inbound-message.js';
import { Ticket } from '../../../models/ticket.js';
import type { Ctx } from '../context.js';
import { activeHolds } from './active-holds.js';
import { policyOfTenant, type EffectivePolicy } from './get-retention-policy.js';
import {
  recordCutoff,
  retentionEndOf,
  type RetentionCalendar,
  type RetentionDates,
} from './retention-date.js';
import type { RetentionRule } from './retention-defaults.js';

export interface FileRow {
  _id: Types.ObjectId;
  fileId: Types.ObjectId;
  size: number;
}

/** What one client's next purge run deletes, per kind, and what legal holds keep back. */
export interface ClientPurgePlan {
  tenant: EffectivePolicy['tenant'];
  /** Closed tickets past their period whose files are all past theirs: deleted whole. */
  tickets: { ids: Types.ObjectId[]; files: number; bytes: number; held: number };
  /** Files past their period on tickets that stay. */
  files: { rows: FileRow[]; bytes: number; held: number };
  inboundMail: { before: Date; count: number; held: number };
  /** Audit entries outside the hash chain (the chain is trimmed by its own rule, audit-chain.ts). */
  audit: { before: Date; count: number; held: number };
}

type Rules = Record<string, RetentionRule>;

/**
 * A client's inbound mail rows handled before `before` (the rows the mail intake keeps per
 * message), but those of tickets under a legal hold (`held`: their ids).
 */
export const expiredMailFilter = (tenantId: Types.ObjectId, before: Date, held: Iterable<string> = []) => {
  const heldIds = [...held].map((id) => new Types.ObjectId(id));
  return {
    tenantId,
    status: 'done' as const,
    doneAt: { $lt: before },
    ...(heldIds.length ? { ticketId: { $nin: heldIds } } : {}),
  };
};

/** A client's audit entries outside the hash chain written before `before`. */
export const expiredAuditFilter = (tenantId: Types.ObjectId, before: Date) => ({
  tenantId,
  chain: { $exists: false },
  at: { $lt: before },
});

const expired = (end: Date | null, now: Date): boolean => end !== null && end <= now;

// Long function: one pass over a client's closed tickets and their files, deciding each once.
export async function planClientPurge(
  ctx: Ctx,
  tenant: EffectivePolicy['tenant'],
  now: Date,
): Promise<ClientPurgePlan> {
  const policy = await policyOfTenant(ctx, tenant);
  const rules: Rules = Object.fromEntries(policy.rules.map((r) => [r.kind, r]));
  const calendar: RetentionCalendar = {
    timeZone: tenant.timeZone,
    financialYearEnd: policy.financialYearEnd,
  };
  const holds = await activeHolds(ctx, String(tenant._id));
  const tenantId = tenant._id;
  const closed = await Ticket.find(
    { tenantId, status: 'closed', closedAt: { $ne: null } },
    { type: 1, closedAt: 1, createdAt: 1, 'fields.issueDate': 1 },
  ).lean();
  const files = closed.length
    ? await Attachment.find(
        { tenantId, ticketId: { $in: closed.map((t) => t._id) } },
        { ticketId: 1, fileId: 1, size: 1, createdAt: 1 },
      ).lean()
    : [];
  const filesOf = new Map<string, typeof files>();
  for (const file of files) {
    const key = String(file.ticketId);
    filesOf.set(key, [...(filesOf.get(key) ?? []), file]);
  }
  const plan: ClientPurgePlan = {
    tenant,
    tickets: { ids: [], files: 0, bytes: 0, held: 0 },
    files: { rows: [], bytes: 0, held: 0 },
    inboundMail: { before: recordCutoff(rules.inbound_mail!, calendar, now), count: 0, held: 0 },
    audit: { before: recordCutoff(rules.audit!, calendar, now), count: 0, held: 0 },
  };
  for (const ticket of closed) {
    const id = String(ticket._id);
    const fields = (ticket as { fields?: { issueDate?: unknown } }).fields;
    const dates: RetentionDates = {
      closedAt: ticket.closedAt,
      createdAt: ticket.createdAt as Date,
      invoiceDate:
        ticket.type === 'invoice' && typeof fields?.issueDate === 'string' ? fields.issueDate : null,
    };
    const fileRule = ticket.type === 'invoice' ? rules.invoice_files! : rules.attachments!;
    const own = (filesOf.get(id) ?? []).map((file) => ({
      file,
      gone: expired(retentionEndOf(fileRule, { ...dates, createdAt: file.createdAt }, calendar), now),
      held: holds.tenant || holds.tickets.has(id) || holds.documents.has(String(file._id)),
    }));
    if (expired(retentionEndOf(rules.tickets!, dates, calendar), now) && own.every((f) => f.gone)) {
      if (holds.tenant || holds.tickets.has(id) || own.some((f) => f.held)) plan.tickets.held += 1;
      else {
        plan.tickets.ids.push(ticket._id);
        plan.tickets.files += own.length;
        plan.tickets.bytes += own.reduce((sum, f) => sum + f.file.size, 0);
      }
      continue;
    }
    for (const { file, gone, held } of own) {
      if (!gone) continue;
      if (held) plan.files.held += 1;
      else {
        plan.files.rows.push({ _id: file._id, fileId: file.fileId, size: file.size });
        plan.files.bytes += file.size;
      }
    }
  }
  const [all, mail, audit] = await Promise.all([
    InboundMessage.countDocuments(expiredMailFilter(tenantId, plan.inboundMail.before)),
    InboundMessage.countDocuments(expiredMailFilter(tenantId, plan.inboundMail.before, holds.tickets)),
    AuditEvent.countDocuments(expiredAuditFilter(tenantId, plan.audit.before)),
  ]);
  // A hold on the whole client keeps its mail copies and audit entries too.
  if (holds.tenant)
    Object.assign(plan, {
      inboundMail: { ...plan.inboundMail, held: all },
      audit: { ...plan.audit, held: audit },
    });
  else
    Object.assign(plan, {
      inboundMail: { ...plan.inboundMail, count: mail, held: all - mail },
      audit: { ...plan.audit, count: audit },
    });
  return plan;
}
