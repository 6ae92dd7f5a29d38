import { InboundMessage } from '../../../models/inbound-message.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SentMail } from '../../../models/sent-mail.js';
import { Tenant } from '../../../models/tenant.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { listScheduledJobs, type ScheduledJobView } from '../health/scheduled-jobs.js';
import { mailProblem } from '../mail/mail-problem.js';
import { ReadCache } from '../read-cache.js';

/**
 * What an admin's home page watches, and when it calls for attention: a job is late once its
 * next run is this far past; a mail waits too long past this age; failed mail and inbound mail
 * are counted over this window; an inbound mail still `processing` after this long was left by a
 * process that died (mail-intake takes it over on the next delivery).
 */
export const adminHomePolicy = {
  jobLateMs: 5 * 60_000,
  mailWaitingLongMs: 15 * 60_000,
  windowMs: 24 * 3600_000,
  inboundStuckMs: 10 * 60_000,
  recentRows: 5,
  /** The mail figures are this old at most: each is a scan of its collection on the embedded engine. */
  mailHealthTtlMs: 15_000,
} as const;

export interface JobHealth {
  total: number;
  running: number;
  /** Jobs whose last run failed, or whose next run is late: the ones to look at. */
  attention: Array<ScheduledJobView & { late: boolean }>;
}

function jobHealth(jobs: ScheduledJobView[], now: Date): JobHealth {
  const lateBefore = now.getTime() - adminHomePolicy.jobLateMs;
  const marked = jobs.map((j) => ({
    ...j,
    late: j.state === 'scheduled' && j.nextRunAt !== null && j.nextRunAt.getTime() < lateBefore,
  }));
  return {
    total: jobs.length,
    running: jobs.filter((j) => j.state === 'running').length,
    attention: marked.filter((j) => j.state === 'failed' || j.late),
  };
}

// Provider-wide on purpose: an admin watches every tenant's mail (and provider mail, tenantId null).
const everyTenant = { allTenants: true } as const;

async function outboxHealth(now: Date) {
  const since = new Date(now.getTime() - adminHomePolicy.windowMs);
  const [waiting, oldest, stuck, failed, recentFailed] = await Promise.all([
    OutboxMail.countDocuments({ status: { $in: ['pending', 'sending'] } }).setOptions(everyTenant),
    OutboxMail.findOne({ status: { $in: ['pending', 'sending'] } })
      .sort({ createdAt: 1 })
      .select({ createdAt: 1 })
      .setOptions(everyTenant)
      .lean(),
    OutboxMail.countDocuments({ status: 'stuck' }).setOptions(everyTenant),
    SentMail.countDocuments({ status: 'failed', finishedAt: { $gte: since } }).setOptions(everyTenant),
    SentMail.find({ status: 'failed', finishedAt: { $gte: since } })
      .sort({ finishedAt: -1 })
      .limit(adminHomePolicy.recentRows)
      .select({ to: 1, template: 1, lastError: 1, attempts: 1, finishedAt: 1, tenantId: 1 })
      .setOptions(everyTenant)
      .lean(),
  ]);
  const oldestAt = oldest?.createdAt ?? null;
  return {
    waiting,
    oldestWaitingAt: oldestAt,
    waitingLong: oldestAt !== null && now.getTime() - oldestAt.getTime() > adminHomePolicy.mailWaitingLongMs,
    stuck,
    failed,
    recentFailed,
  };
}

async function inboundHealth(now: Date) {
  const since = new Date(now.getTime() - adminHomePolicy.windowMs);
  const stuckBefore = new Date(now.getTime() - adminHomePolicy.inboundStuckMs);
  const [byOutcome, stuck, recent] = await Promise.all([
    InboundMessage.aggregate<{ _id: string | null; n: number }>([
      { $match: { claimedAt: { $gte: since } } },
      { $group: { _id: '$outcome', n: { $sum: 1 } } },
    ]).option(everyTenant),
    InboundMessage.countDocuments({ status: 'processing', claimedAt: { $lt: stuckBefore } }).setOptions(
      everyTenant,
    ),
    InboundMessage.find({})
      .sort({ claimedAt: -1 })
      .limit(adminHomePolicy.recentRows)
      .select({ from: 1, status: 1, outcome: 1, ticketNumber: 1, claimedAt: 1, tenantId: 1 })
      .setOptions(everyTenant)
      .lean(),
  ]);
  const count = (outcome: string) => byOutcome.find((o) => o._id === outcome)?.n ?? 0;
  return {
    received: byOutcome.reduce((sum, o) => sum + o.n, 0),
    created: count('created'),
    replied: count('replied'),
    stuck,
    recent,
  };
}

/**
 * The outbox and inbound figures, shared by every admin's home page for
 * `adminHomePolicy.mailHealthTtlMs` (keyed by database): counting them scans the mail collections
 * on the embedded engine (../shared/engine-notes.md), and a few admins reloading their home must
 * not add a scan each. Nothing changes mail from here, so nothing forgets it but resetCaches.
 */
const mailHealth = new ReadCache<{
  outbox: Awaited<ReturnType<typeof outboxHealth>>;
  inbound: Awaited<ReturnType<typeof inboundHealth>>;
}>(adminHomePolicy.mailHealthTtlMs, 16);

export function forgetMailHealth(): void {
  mailHealth.forget();
}

/**
 * An admin's home page: the health of the scheduled jobs (failed or late ones), the outbox (mail
 * waiting and since when, mail given up in the last day with its error) and inbound mail (taken in
 * during the last day, by outcome; claims left by a dead process). Read-only, provider-wide.
 */
export async function adminHome(ctx: Ctx, now = new Date()) {
  requirePermission(ctx, 'jobs.read');
  const [jobs, { outbox, inbound }, tenants] = await Promise.all([
    listScheduledJobs(ctx),
    mailHealth.get(OutboxMail.db.name, async () => {
      const [outbox, inbound] = await Promise.all([outboxHealth(now), inboundHealth(now)]);
      return { outbox, inbound };
    }),
    Tenant.find({}).select({ code: 1 }).lean(),
  ]);
  const codes = new Map(tenants.map((t) => [String(t._id), t.code]));
  const codeOf = (id: unknown) => (id ? (codes.get(String(id)) ?? '') : '');
  return {
    jobs: jobHealth(jobs, now),
    outbox: {
      ...outbox,
      recentFailed: outbox.recentFailed.map((m) => ({
        ...m,
        tenantCode: codeOf(m.tenantId),
        problem: mailProblem(m.lastError),
      })),
    },
    inbound: { ...inbound, recent: inbound.recent.map((m) => ({ ...m, tenantCode: codeOf(m.tenantId) })) },
  };
}
