import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { OutboxMail } from '../../../models/outbox-mail.js';
import type { Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { sendRendered, type MailTemplate } from './mailer.js';

export interface OutboxInput {
  /** Names the event: the same key never queues a second mail. */
  key: string;
  tenantId: string | null;
  to: string;
  locale: Locale;
  template: MailTemplate;
  params: Record<string, string>;
  headers?: Record<string, string>;
  replyTo?: string | null;
}

export const outboxPolicy = { maxAttempts: 8, lockMs: 60_000, baseBackoffMs: 5_000 } as const;

/** Queue a mail; returns false when this event's mail was queued already. */
export async function enqueueMail(ctx: Ctx, input: OutboxInput): Promise<boolean> {
  try {
    await OutboxMail.create({
      ...input,
      tenantId: input.tenantId ? new Types.ObjectId(input.tenantId) : null,
      headers: input.headers ?? {},
      replyTo: input.replyTo ?? null,
      messageId: `<${randomUUID()}@backoffice-desk>`,
    });
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
  ctx.log.debug({ key: input.key, template: input.template }, 'mail queued');
  domainEvents.emit('mail.queued', { key: input.key });
  return true;
}

/**
 * Claim the next due row: pending and due, or stuck in `sending` past its lock (a worker died).
 * One conditional update, so each row goes to exactly one worker at a time.
 */
async function claimNext(now: Date) {
  return OutboxMail.findOneAndUpdate(
    {
      $or: [
        { status: 'pending', nextAttemptAt: { $lte: now } },
        { status: 'sending', lockedUntil: { $lt: now } },
      ],
    },
    { $set: { status: 'sending', lockedUntil: new Date(now.getTime() + outboxPolicy.lockMs) }, $inc: { attempts: 1 } },
    { returnDocument: 'after', sort: { nextAttemptAt: 1 } },
  )
    .setOptions({ allTenants: true })
    .lean();
}

/**
 * Send what is due, up to `limit` mails. A failure puts the row back with exponential backoff;
 * after the last attempt it is marked failed (and stays visible to admins).
 */
export async function deliverDueMail(ctx: Ctx, limit = 50): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  for (let i = 0; i < limit; i++) {
    const now = new Date();
    const row = await claimNext(now);
    if (!row) break;
    try {
      await sendRendered({
        to: row.to,
        locale: row.locale as Locale,
        template: row.template as MailTemplate,
        params: row.params as Record<string, string>,
        headers: row.headers as Record<string, string>,
        replyTo: row.replyTo ?? undefined,
        messageId: row.messageId,
      });
      await OutboxMail.updateOne({ _id: row._id, tenantId: row.tenantId }, { $set: { status: 'sent', sentAt: new Date(), lockedUntil: null, lastError: null } });
      sent++;
    } catch (err) {
      const last = row.attempts >= outboxPolicy.maxAttempts;
      const backoff = outboxPolicy.baseBackoffMs * 2 ** Math.min(row.attempts - 1, 10);
      await OutboxMail.updateOne(
        { _id: row._id, tenantId: row.tenantId },
        {
          $set: {
            status: last ? 'failed' : 'pending',
            lockedUntil: null,
            lastError: (err as Error).message.slice(0, 500),
            nextAttemptAt: new Date(Date.now() + backoff),
          },
        },
      );
      ctx.log.warn({ err, key: row.key, attempts: row.attempts, final: last }, 'mail delivery failed');
      failed++;
      // The server is likely down: leave the rest for the next run instead of failing them all.
      break;
    }
  }
  return { sent, failed };
}
