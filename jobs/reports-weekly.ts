import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { systemCtx } from '../server/domain/context.js';
import { queueWeeklyDigests } from '../server/domain/reports/weekly-digest.js';

export const WEEKLY_DIGEST_JOB = 'reports.weekly-digest';

/**
 * Mails each account manager last week's SLA digest of their clients on Monday. Runs every
 * hour: the domain decides what is due, the outbox key keeps it to one mail per (manager, week).
 * Switched off (REPORTS_WEEKLY_DIGEST=false), the stored recurring job is removed as well, so the
 * scheduled-jobs page does not show a job nobody runs.
 */
export async function registerWeeklyDigest(agenda: Agenda, log: Logger, enabled: boolean): Promise<void> {
  if (!enabled) {
    await agenda.cancel({ name: WEEKLY_DIGEST_JOB });
    return;
  }
  agenda.define(WEEKLY_DIGEST_JOB, async () => {
    await queueWeeklyDigests(systemCtx(log, WEEKLY_DIGEST_JOB));
  });
  await agenda.every('1 hour', WEEKLY_DIGEST_JOB, undefined, { skipImmediate: false });
}
