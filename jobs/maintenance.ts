import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { purgeExpired } from '../server/domain/auth/maintenance.js';
import { systemCtx } from '../server/domain/context.js';

export const PURGE_JOB = 'maintenance.purge-expired';

/**
 * The engine never applies TTL indexes, so expiring rows (sessions, sign-in throttles, used or
 * stale e-mail links) are deleted by this recurring job instead.
 */
export async function registerMaintenanceJobs(agenda: Agenda, log: Logger): Promise<void> {
  agenda.define(PURGE_JOB, async () => {
    const removed = await purgeExpired(systemCtx(log, PURGE_JOB));
    log.debug({ removed }, 'purged expired rows');
  });
  await agenda.every('10 minutes', PURGE_JOB, undefined, { skipImmediate: false });
}
