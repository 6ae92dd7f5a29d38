import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { InboundMessage } from '../../../models/inbound-message.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SentMail } from '../../../models/sent-mail.js';
import { Tenant, type TenantAttrs } from '../../../models/tenant.js';
import { Ticket, type TicketType } from '../../../models/ticket.js';
import { User, isClientRole, type Role, type UserAttrs } from '../../../models/user.js';
import { AppError } from '../../errors/app-error.js';
import { isLocale, t, type Locale } from '../../i18n/i18n.js';
import { can } from '../auth/policy.js';
import { deriveCtx, isStaff, makeCtx, type Ctx, type PersonActor } from '../context.js';
import { keepUnreadable, receiveMailedEInvoices, recordMailOnTicket } from '../einvoices/receive-by-mail.js';
import { inboundDomain } from '../settings.js';
import { attachmentRules, sniffType, type IncomingFile } from '../tickets/attachments.js';
import { createTicket } from '../tickets/create.js';
import { changeStatus } from '../tickets/lifecycle.js';
import { bodyText, cleanSubject, stripQuoted } from '../tickets/mail-text.js';
import { addReply } from '../tickets/replies.js';
import { mailTicketFieldDefaults, mailTicketSchema, replySchema } from '../tickets/schemas.js';
import { appendTimeline } from '../tickets/timeline.js';

/**
 * The e-mail channel: a mail to a tenant's intake address opens a ticket or continues one.
 *
 * - Address: `<code>@<INBOUND_MAIL_DOMAIN>` opens a complaint (`DEFAULT_MAIL_TICKET_TYPE`),
 *   `<code>+data-entry@…`, `<code>+complaint@…`, `<code>+invoice@…` the named type.
 * - Sender: the From address must be an active user of that tenant, or an active staff member
 *   who works the queues of that tenant (staff may only answer existing tickets by mail).
 * - Thread: In-Reply-To / References naming the ticket's thread id or one of our outbound
 *   Message-IDs, else a `[ACME-000123]` tag in the subject, continue that ticket (a reply
 *   without the quoted text); anything else opens a new ticket. A closed ticket is not
 *   continued: the client's mail opens a new one.
 * - Files: what `storeAttachments` refuses is dropped, and a public timeline entry says which
 *   and why; the rest of the mail is taken in.
 * - Once: the same Message-ID taken in twice for a tenant is a no-op (unique index on
 *   InboundMessage).
 * - E-invoices: a new mail to the invoice address with e-invoice attachments opens one invoice
 *   ticket per invoice in them (server/domain/einvoices/receive-by-mail.ts) instead of a plain one.
 */

/** A plain `<code>@…` address opens this type: mail from a client is most often a case to handle. */
export const DEFAULT_MAIL_TICKET_TYPE: TicketType = 'complaint';

const typeBySuffix: Record<string, TicketType> = {
  'data-entry': 'data_entry',
  complaint: 'complaint',
  invoice: 'invoice',
};

/** A parsed inbound mail, as the transport hands it over. */
export interface InboundMail {
  /** Address of the From header. */
  from: string;
  fromName?: string | null;
  /** Where it was delivered: the SMTP envelope's recipients, or To and Cc when there is none. */
  recipients: string[];
  subject: string;
  text: string;
  html?: string | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  attachments: IncomingFile[];
  /** An autoresponder wrote it (Auto-Submitted, Precedence): taken in, never acted on. */
  autoSubmitted?: boolean;
}

export type IntakeOutcome = {
  outcome: 'created' | 'replied' | 'duplicate' | 'ignored';
  tenant: string;
  ticket: string | null;
  /** Every ticket the mail opened (a mail of e-invoices opens one per invoice); else absent. */
  tickets?: string[];
  /** Files not kept, each with the reason, in the tenant's language. */
  dropped: string[];
};

type LeanTenant = TenantAttrs & { _id: Types.ObjectId };
type LeanUser = UserAttrs & { _id: Types.ObjectId };

const normalizeAddress = (address: string): string => address.trim().toLowerCase();

/** `acme+invoice@in.desk.example` -> { code: 'acme', type: 'invoice' }; null when it is not an intake address. */
export function parseIntakeAddress(address: string): { code: string; type: TicketType } | null {
  const domain = inboundDomain();
  if (!domain) return null;
  const match = /^([a-z][a-z0-9-]{1,19})(?:\+([a-z_-]+))?@([a-z0-9.-]+)$/.exec(normalizeAddress(address));
  if (!match || match[3] !== domain) return null;
  const code = match[1] as string;
  if (match[2] === undefined) return { code, type: DEFAULT_MAIL_TICKET_TYPE };
  const type = typeBySuffix[match[2].replace(/_/g, '-')];
  return type ? { code, type } : null;
}

/** The active tenant an intake address belongs to, with the ticket type it opens; null for anything else. */
export async function findIntakeTenant(
  _ctx: Ctx,
  address: string,
): Promise<{ tenant: LeanTenant; type: TicketType } | null> {
  const parsed = parseIntakeAddress(address);
  if (!parsed) return null;
  const tenant = await Tenant.findOne({ code: parsed.code, status: 'active' }).lean<LeanTenant>();
  return tenant ? { tenant, type: parsed.type } : null;
}

/** The active account an address belongs to (client or staff), or null. */
export async function findMailSender(_ctx: Ctx, address: string): Promise<LeanUser | null> {
  if (!address) return null;
  // Sign-in by e-mail crosses tenants the same way: the address is unique over all of them.
  const user = await User.findOne({ email: normalizeAddress(address) })
    .setOptions({ allTenants: true })
    .lean<LeanUser>();
  return user && user.status === 'active' ? user : null;
}

function actorOf(user: LeanUser, tenant: LeanTenant): PersonActor {
  return {
    kind: 'user',
    userId: String(user._id),
    email: user.email,
    name: user.name,
    role: user.role as Role,
    tenantId: user.tenantId ? String(user.tenantId) : null,
    tenantIds: user.tenantId ? [String(user.tenantId)] : user.tenantIds.map(String),
    locale: isLocale(user.locale) ? user.locale : isLocale(tenant.locale) ? tenant.locale : 'en',
  };
}

/** A tenant's own active users, and staff who work that tenant's queues, may write to its address. */
export function mayWriteTo(user: LeanUser, tenant: LeanTenant): boolean {
  if (user.status !== 'active') return false;
  if (isClientRole(user.role)) return String(user.tenantId) === String(tenant._id);
  const actor = actorOf(user, tenant);
  return (
    can(actor, 'queues.work') && (actor.role === 'admin' || actor.tenantIds.includes(String(tenant._id)))
  );
}

/** The context of the sender acting inside the tenant the mail was addressed to. */
function senderCtx(base: Ctx, user: LeanUser, tenant: LeanTenant): Ctx {
  const actor = actorOf(user, tenant);
  const tenantId = String(tenant._id);
  return makeCtx({
    tenantId,
    actor,
    requestId: base.requestId,
    log: base.log,
    logFields: { tenantId, tenant: tenant.code, userId: actor.userId },
    ip: base.ip ?? null,
  });
}

const angle = (id: string): string => {
  const trimmed = id.trim();
  return trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
};

/** A mail without a Message-ID still gets a stable key, from what identifies it. */
function messageKey(mail: InboundMail): string {
  if (mail.messageId?.trim()) return angle(mail.messageId).slice(0, 1000);
  const digest = createHash('sha256')
    .update(
      [
        normalizeAddress(mail.from),
        mail.subject,
        mail.text,
        ...mail.attachments.map((a) => createHash('sha256').update(a.buffer).digest('hex')),
      ].join('\u0000'),
    )
    .digest('hex');
  return `<sha256-${digest}@no-message-id>`;
}

const THREAD_ID = /^<ticket-([0-9a-f]{24})@backoffice-desk>$/i;
const OUR_MESSAGE_ID = /@backoffice-desk>$/i;
const OUTBOX_TICKET_KEY = /^ticket:([0-9a-f]{24}):/;
const SUBJECT_TAG = /\[([A-Z][A-Z0-9-]*-\d{6,})\]/gi;

/**
 * The ticket of this tenant a mail continues: its thread id or one of our Message-IDs in
 * In-Reply-To / References (the most recent first), else a ticket tag in the subject.
 */
async function findThread(tenantId: Types.ObjectId, mail: InboundMail) {
  const refs = [
    ...new Set(
      [mail.inReplyTo, ...[...mail.references].reverse()].filter((r): r is string => !!r?.trim()).map(angle),
    ),
  ];
  const outboxRefs = refs.filter((r) => !THREAD_ID.test(r) && OUR_MESSAGE_ID.test(r));
  const keyByMessageId = new Map<string, string>();
  if (outboxRefs.length) {
    // Mail still in the outbox (small), and sent mail, by Message-ID (a unique index: one lookup each).
    const [queued, sent] = await Promise.all([
      OutboxMail.find({ tenantId, messageId: { $in: outboxRefs } })
        .select({ key: 1, messageId: 1 })
        .lean(),
      Promise.all(
        outboxRefs
          .slice(0, 20)
          .map((messageId) =>
            SentMail.findOne({ tenantId, messageId }).select({ key: 1, messageId: 1 }).lean(),
          ),
      ),
    ]);
    for (const row of [...queued, ...sent]) if (row) keyByMessageId.set(row.messageId, row.key);
  }
  const ids: string[] = [];
  for (const ref of refs) {
    const id = THREAD_ID.exec(ref)?.[1] ?? OUTBOX_TICKET_KEY.exec(keyByMessageId.get(ref) ?? '')?.[1];
    if (id && !ids.includes(id)) ids.push(id);
  }
  for (const id of ids) {
    const ticket = await Ticket.findOne({ tenantId, _id: new Types.ObjectId(id) }).lean();
    if (ticket) return ticket;
  }
  for (const match of mail.subject.matchAll(SUBJECT_TAG)) {
    const ticket = await Ticket.findOne({ tenantId, number: (match[1] as string).toUpperCase() }).lean();
    if (ticket) return ticket;
  }
  return null;
}

/** Split the files into those storeAttachments will take and the reasons for the others. */
async function screenFiles(
  files: IncomingFile[],
  locale: Locale,
): Promise<{ kept: IncomingFile[]; dropped: string[] }> {
  const kept: IncomingFile[] = [];
  const dropped: string[] = [];
  const overflow: string[] = [];
  for (const file of files) {
    try {
      await sniffType(file);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      dropped.push(t(locale, err.messageKey, err.params));
      continue;
    }
    if (kept.length < attachmentRules.maxFiles) kept.push(file);
    else overflow.push(file.filename);
  }
  if (overflow.length)
    dropped.push(
      `${overflow.join(', ')}: ${t(locale, 'attachments.too_many', { max: attachmentRules.maxFiles })}`,
    );
  return { kept, dropped };
}

async function noteDropped(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  dropped: string[],
  locale: Locale,
) {
  if (!dropped.length) return;
  // Written by the system, not in the sender's name: it is the portal that did not keep them.
  const system = deriveCtx(ctx, { actor: { kind: 'system', name: 'mail intake' } });
  await appendTimeline(system, ticket, {
    kind: 'attachment',
    visibility: 'public',
    body: t(locale, 'intake.dropped_attachments', { files: dropped.join('; ') }),
    data: { channel: 'email', dropped },
  });
}

const STALE_CLAIM_MS = 10 * 60_000;

/**
 * Claim a Message-ID for a tenant: the insert wins once (unique index). A claim still
 * `processing` long after it was made belongs to a process that died, and is taken over.
 */
async function claimMessage(
  tenantId: Types.ObjectId,
  messageId: string,
  from: string,
): Promise<Types.ObjectId | null> {
  try {
    const row = await InboundMessage.create({ tenantId, messageId, from });
    return row._id;
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
  const now = new Date();
  const stale = await InboundMessage.findOneAndUpdate(
    {
      tenantId,
      messageId,
      status: 'processing',
      claimedAt: { $lt: new Date(now.getTime() - STALE_CLAIM_MS) },
    },
    { $set: { claimedAt: now, from } },
    { returnDocument: 'after' },
  ).lean();
  return stale?._id ?? null;
}

type TakenIn = IntakeOutcome & { ticketId: Types.ObjectId };

async function takeIn(
  ctx: Ctx,
  mail: InboundMail,
  type: TicketType,
  tenant: LeanTenant,
  locale: Locale,
  messageId: string,
): Promise<TakenIn> {
  const thread = await findThread(tenant._id, mail);
  const staff = isStaff(ctx.actor);
  const replying = !!thread && (thread.status !== 'closed' || staff);
  // A new mail to the invoice address: its e-invoices open their own tickets (receive-by-mail.ts).
  // The findings of files that could not be read go in an internal note in the client's language.
  const client = { locale: isLocale(tenant.locale) ? tenant.locale : locale, timeZone: tenant.timeZone };
  const einvoices =
    !replying && !staff && type === 'invoice'
      ? await receiveMailedEInvoices(ctx, mail.attachments, client)
      : null;
  const { kept, dropped } = await screenFiles(einvoices ? einvoices.others : mail.attachments, locale);
  if (einvoices?.tickets.length) {
    const first = einvoices.tickets[0]!;
    const mailInput = { messageId, subject: mail.subject, text: bodyText(mail), files: kept };
    await recordMailOnTicket(ctx, first, mailInput, einvoices.unread, locale, client.locale);
    await noteDropped(ctx, first, dropped, locale);
    return {
      outcome: 'created',
      tenant: tenant.code,
      ticket: first.number,
      tickets: einvoices.tickets.map((x) => x.number),
      ticketId: first._id,
      dropped,
    };
  }
  if (thread && replying) {
    if (thread.status === 'closed')
      throw new AppError('forbidden', `${thread.number} is closed`, { messageKey: 'tickets.closed' });
    let body = stripQuoted(bodyText(mail));
    if (!body && kept.length) body = t(locale, 'intake.attachments_only');
    if (!body) throw new AppError('validation', 'the reply has no text above the quoted mail and no files');
    const input = replySchema.parse({ body: body.slice(0, 20_000), internal: false });
    const { ticket } = await addReply(ctx, thread.number, input, kept);
    // A client answering a resolved ticket by mail wants it looked at again (as the reopen button).
    if (!staff && ticket.status === 'resolved') await changeStatus(ctx, ticket.number, 'open');
    await noteDropped(ctx, ticket, dropped, locale);
    return { outcome: 'replied', tenant: tenant.code, ticket: ticket.number, ticketId: ticket._id, dropped };
  }
  if (staff) throw new AppError('forbidden', 'staff answer tickets by mail but do not open them');
  const subject = cleanSubject(mail.subject).slice(0, 200);
  const input = mailTicketSchema.parse({
    type,
    subject:
      subject.length >= 3
        ? subject
        : t(locale, 'intake.no_subject', { name: mail.fromName || mail.from }).slice(0, 200),
    description: bodyText(mail).slice(0, 20_000),
    fields: { ...mailTicketFieldDefaults[type] },
  });
  const ticket = await createTicket(ctx, input, 'email', kept);
  // E-invoices that could not be read at all: kept on the ordinary ticket, with the findings.
  if (einvoices) await keepUnreadable(ctx, ticket, einvoices.unread, messageId, client.locale);
  await noteDropped(ctx, ticket, dropped, locale);
  return { outcome: 'created', tenant: tenant.code, ticket: ticket.number, ticketId: ticket._id, dropped };
}

/**
 * Take in one mail: for each tenant it was addressed to, open or continue a ticket as the
 * sender. Every check (addresses, sender, permission) runs before anything is written; a
 * failure after the claim releases it, so the sending server's retry is taken in again.
 */
export async function receiveMail(ctx: Ctx, mail: InboundMail): Promise<IntakeOutcome[]> {
  const targets: Array<{ tenant: LeanTenant; type: TicketType }> = [];
  for (const address of mail.recipients) {
    const target = await findIntakeTenant(ctx, address);
    if (target && !targets.some((x) => String(x.tenant._id) === String(target.tenant._id)))
      targets.push(target);
  }
  if (!targets.length) throw new AppError('not_found', 'no intake address among the recipients');
  const sender = await findMailSender(ctx, mail.from);
  if (!sender) throw new AppError('forbidden', `unknown or inactive sender ${mail.from}`);
  for (const { tenant } of targets) {
    if (!mayWriteTo(sender, tenant))
      throw new AppError('forbidden', `${sender.email} may not write to ${tenant.code}`);
  }
  const messageId = messageKey(mail);
  const outcomes: IntakeOutcome[] = [];
  for (const { tenant, type } of targets) {
    const sctx = senderCtx(ctx, sender, tenant);
    const locale = (sctx.actor as PersonActor).locale;
    const log = sctx.log.child({ messageId, from: sender.email });
    if (mail.autoSubmitted) {
      log.info('inbound mail from an autoresponder: ignored');
      outcomes.push({ outcome: 'ignored', tenant: tenant.code, ticket: null, dropped: [] });
      continue;
    }
    const claim = await claimMessage(tenant._id, messageId, sender.email);
    if (!claim) {
      const earlier = await InboundMessage.findOne({ tenantId: tenant._id, messageId }).lean();
      log.info({ ticket: earlier?.ticketNumber ?? null }, 'inbound mail taken in before: ignored');
      outcomes.push({
        outcome: 'duplicate',
        tenant: tenant.code,
        ticket: earlier?.ticketNumber ?? null,
        dropped: [],
      });
      continue;
    }
    try {
      const { ticketId, ...outcome } = await takeIn(
        deriveCtx(sctx, { log }),
        mail,
        type,
        tenant,
        locale,
        messageId,
      );
      await InboundMessage.updateOne(
        { _id: claim, tenantId: tenant._id },
        {
          $set: {
            status: 'done',
            outcome: outcome.outcome,
            ticketId,
            ticketNumber: outcome.ticket,
            doneAt: new Date(),
          },
        },
      );
      log.info(
        { outcome: outcome.outcome, ticket: outcome.ticket, dropped: outcome.dropped.length },
        'inbound mail taken in',
      );
      outcomes.push(outcome);
    } catch (err) {
      await InboundMessage.deleteOne({ _id: claim, tenantId: tenant._id }).catch(() => undefined);
      throw err;
    }
  }
  return outcomes;
}
