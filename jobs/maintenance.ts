import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { purgeExpired } from '../server/domain/housekeeping/purge-expired.js';
import { systemCtx } from '../server/domain/context.js';
import { finishInterruptedErasures } from '../server/domain/privacy/erase-person.js';
import { capacityNotice } from '../server/domain/tickets/capacity.js';
import { disableFailingEndpoints } from '../server/domain/webhooks/disable-failing.js';

export const PURGE_JOB = 'maintenance.purge-expired';

const CAPACITY_LOG_EVERY_MS = 3600_000;

/**
 * The embedded database nearing its capacity: a warning at start and then at most once an hour
 * while it lasts (the admin home page shows it too). Nothing with MongoDB (`capacity` null).
 */
function capacityWatch(log: Logger, capacity: number | null): () => Promise<void> {
  let loggedAt = 0;
  return async () => {
    if (Date.now() - loggedAt < CAPACITY_LOG_EVERY_MS) return;
    const notice = await capacityNotice(systemCtx(log, 'capacity'), capacity);
    if (!notice) return;
    loggedAt = Date.now();
    log.warn(
      notice,
      `embedded database at ${notice.percent} % of its capacity (${notice.tickets} of ${notice.capacity} tickets): move to MongoDB (README: Production: real MongoDB, several nodes)`,
    );
  };
}

/**
 * The engine never applies TTL indexes, so expiring rows (sessions, sign-in throttles, used or
 * stale e-mail links) are deleted by this recurring job instead. It also finishes data subjects'
 * erasures a crash cut short (their lease run out) and watches the embedded database's size
 * against its capacity.
 */
export async function registerMaintenanceJobs(
  agenda: Agenda,
  log: Logger,
  capacity: number | null = null,
): Promise<void> {
  const watchCapacity = capacityWatch(log, capacity);
  agenda.define(PURGE_JOB, async () => {
    const removed = await purgeExpired(systemCtx(log, PURGE_JOB));
    log.debug({ removed }, 'purged expired rows');
    const failing = await disableFailingEndpoints(systemCtx(log, PURGE_JOB));
    if (failing.disabled || failing.mailed) log.info(failing, 'failing webhook endpoints disabled');
    const erasures = await finishInterruptedErasures(systemCtx(log, PURGE_JOB));
    if (erasures) log.info({ erasures }, 'interrupted erasures finished');
    await watchCapacity();
  });
  await watchCapacity();
  await agenda.every('10 minutes', PURGE_JOB, undefined, { skipImmediate: false });
}
