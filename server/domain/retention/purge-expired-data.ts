import type { Types } from 'mongoose';
import { AuditEvent } from '../../../models/audit-event.js';
import { InboundMessage } from '../../../models/inbound-message.js';
import { Ticket } from '../../../models/ticket.js';
import { recordAudit } from '../audit/audit.js';
import { trimAuditChain } from '../audit/trim-audit-chain.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { listTenants } from '../tenants/tenants.js';
import { activeHolds, isHeld } from './active-holds.js';
import {
  expiredAuditFilter,
  expiredMailFilter,
  planClientPurge,
  type ClientPurgePlan,
} from './plan-purge.js';
import { removeAttachment, removeTicketData } from './ticket-data.js';

/** Tickets deleted per step: marked together, their dependants deleted, then they. */
const BATCH = 50;

export interface ClientPurged {
  tenantId: string;
  code: string;
  tickets: number;
  files: number;
  bytes: number;
  inboundMail: number;
  audit: number;
}

/** Deletes tickets already marked `purgingAt` (dependants first, the tickets last). */
async function finishMarked(tenantId: Types.ObjectId, ids: Types.ObjectId[]): Promise<void> {
  await removeTicketData(tenantId, ids);
  await Ticket.deleteMany({ tenantId, _id: { $in: ids }, purgingAt: { $ne: null } });
}

/**
 * Tickets a crash left half deleted (marked, not yet gone): finished before any new work, so a
 * worker killed at any point of a purge leaves nothing half deleted past the next run.
 */
export async function finishInterruptedPurges(): Promise<number> {
  const marked = await Ticket.find({ purgingAt: { $ne: null } }, { tenantId: 1 })
    .setOptions({ allTenants: true })
    .lean();
  const byTenant = new Map<string, { tenantId: Types.ObjectId; ids: Types.ObjectId[] }>();
  for (const row of marked) {
    const entry = byTenant.get(String(row.tenantId)) ?? { tenantId: row.tenantId, ids: [] };
    entry.ids.push(row._id);
    byTenant.set(String(row.tenantId), entry);
  }
  for (const { tenantId, ids } of byTenant.values()) await finishMarked(tenantId, ids);
  return marked.length;
}

/** Carries out one client's plan. Holds are read again just before, so one placed meanwhile still counts. */
async function purgeClient(ctx: Ctx, plan: ClientPurgePlan, now: Date): Promise<ClientPurged> {
  const tenantId = plan.tenant._id;
  const holds = await activeHolds(ctx, String(tenantId));
  const done: ClientPurged = {
    tenantId: String(tenantId),
    code: plan.tenant.code,
    tickets: 0,
    files: 0,
    bytes: 0,
    inboundMail: 0,
    audit: 0,
  };
  if (holds.tenant) return done;
  const ids = plan.tickets.ids.filter((id) => !isHeld(holds, String(id)));
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    // Only tickets still closed are marked; the mark is what a crash leaves for the next run.
    await Ticket.updateMany(
      { tenantId, _id: { $in: batch }, status: 'closed' },
      { $set: { purgingAt: now } },
    );
    const marked = await Ticket.find(
      { tenantId, _id: { $in: batch }, purgingAt: { $ne: null } },
      { _id: 1 },
    ).lean();
    await finishMarked(
      tenantId,
      marked.map((t) => t._id),
    );
    done.tickets += marked.length;
  }
  done.files = plan.tickets.files;
  done.bytes = plan.tickets.bytes;
  for (const row of plan.files.rows) {
    if (holds.documents.has(String(row._id))) continue;
    await removeAttachment(tenantId, row);
    done.files += 1;
    done.bytes += row.size;
  }
  done.inboundMail = (
    await InboundMessage.deleteMany(expiredMailFilter(tenantId, plan.inboundMail.before, holds.tickets))
  ).deletedCount;
  done.audit = (await AuditEvent.deleteMany(expiredAuditFilter(tenantId, plan.audit.before))).deletedCount;
  return done;
}

/** What the next run would delete, per client the caller serves (the dry-run page). */
export async function previewPurge(ctx: Ctx, now = new Date()): Promise<ClientPurgePlan[]> {
  requirePermission(ctx, 'retention.manage');
  const tenants = await listTenants(ctx);
  const plans: ClientPurgePlan[] = [];
  for (const tenant of tenants) plans.push(await planClientPurge(ctx, tenant, now));
  return plans;
}

/**
 * The scheduled purge (jobs/retention.ts): first what a crash interrupted, then per client what
 * its retention says has expired and no legal hold keeps. Each client's run is audited (counts
 * only) in the hash-chained trail.
 */
export async function purgeExpiredData(ctx: Ctx, now = new Date()): Promise<ClientPurged[]> {
  const resumed = await finishInterruptedPurges();
  if (resumed) ctx.log.info({ resumed }, 'finished tickets an interrupted purge had started');
  const results: ClientPurged[] = [];
  const plans = await previewPurge(ctx, now);
  for (const plan of plans) {
    const done = await purgeClient(ctx, plan, now);
    results.push(done);
    if (done.tickets + done.files + done.inboundMail + done.audit === 0) continue;
    await recordAudit(ctx, {
      action: 'retention.purged',
      tenantId: done.tenantId,
      targetId: done.tenantId,
      targetLabel: done.code,
      details: {
        tickets: done.tickets,
        files: done.files,
        bytes: done.bytes,
        inboundMail: done.inboundMail,
        audit: done.audit,
      },
      key: `retention.purged:${done.tenantId}:${now.toISOString()}`,
    });
  }
  // The hash chain is one for the portal: its entries go once every client's audit period is over.
  const chainCutoff = plans.reduce<Date | null>(
    (first, plan) => (first === null || plan.audit.before < first ? plan.audit.before : first),
    null,
  );
  const anyHold = plans.some((plan) => plan.audit.held > 0);
  if (chainCutoff && !anyHold) {
    const { removed } = await trimAuditChain(ctx, chainCutoff);
    if (removed)
      ctx.log.info({ removed, before: chainCutoff }, 'oldest entries of the audit hash chain trimmed');
  }
  return results;
}
