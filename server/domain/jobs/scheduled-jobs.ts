import mongoose from 'mongoose';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';

export interface ScheduledJobView {
  name: string;
  repeatInterval: string | number | null;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastFinishedAt: Date | null;
  lockedAt: Date | null;
  failCount: number;
  failReason: string | null;
  failedAt: Date | null;
  state: 'running' | 'failed' | 'scheduled' | 'done';
}

/**
 * Agenda's own job state (collection `agendaJobs`), for admins: read-only, straight from the
 * documents agenda keeps, so the page shows what the scheduler really has.
 */
export async function listScheduledJobs(ctx: Ctx): Promise<ScheduledJobView[]> {
  requirePermission(ctx, 'jobs.read');
  const db = mongoose.connection.db;
  if (!db) return [];
  const rows = await db.collection('agendaJobs').find({}).sort({ name: 1, nextRunAt: 1 }).limit(500).toArray();
  return rows.map((r) => {
    const failedAt = (r.failedAt as Date | undefined) ?? null;
    const lastFinishedAt = (r.lastFinishedAt as Date | undefined) ?? null;
    const lockedAt = (r.lockedAt as Date | undefined) ?? null;
    const failed = failedAt !== null && (!lastFinishedAt || failedAt >= lastFinishedAt);
    return {
      name: String(r.name),
      repeatInterval: (r.repeatInterval as string | number | undefined) ?? null,
      nextRunAt: (r.nextRunAt as Date | undefined) ?? null,
      lastRunAt: (r.lastRunAt as Date | undefined) ?? null,
      lastFinishedAt,
      lockedAt,
      failCount: Number(r.failCount ?? 0),
      failReason: (r.failReason as string | undefined) ?? null,
      failedAt,
      state: lockedAt ? 'running' : failed ? 'failed' : r.nextRunAt ? 'scheduled' : 'done',
    };
  });
}
