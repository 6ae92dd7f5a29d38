import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { systemCtx } from '../server/domain/context.js';
import { purgeExpiredData } from '../server/domain/retention/purge-expired-data.js';

export const RETENTION_PURGE_JOB = 'retention.purge';

/**
 * The retention purge (server/domain/retention/purge-expired-data.ts), every `RETENTION_PURGE_SECONDS`
 * (a day by default). Its lock lasts one interval (10 s to 30 min): a worker killed mid-purge holds
 * it that long, then the next one takes the job and first finishes what the killed one started.
 * Two runs overlapping past the lock do no harm: every delete is by id and idempotent.
 */
export async function registerRetentionJob(agenda: Agenda, log: Logger, everySeconds: number): Promise<void> {
  agenda.define(
    RETENTION_PURGE_JOB,
    async () => {
      const purged = await purgeExpiredData(systemCtx(log, RETENTION_PURGE_JOB));
      const busy = purged.filter((p) => p.tickets + p.files + p.inboundMail + p.audit > 0);
      if (busy.length) log.info({ purged: busy }, 'expired data purged');
    },
    { concurrency: 1, lockLifetime: Math.min(30 * 60_000, Math.max(10_000, everySeconds * 1000)) },
  );
  await agenda.every(`${everySeconds} seconds`, RETENTION_PURGE_JOB, undefined, { skipImmediate: false });
}
