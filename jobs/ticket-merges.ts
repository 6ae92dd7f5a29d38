import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { systemCtx } from '../server/domain/context.js';
import { resumeMerges } from '../server/domain/tickets/merge-tickets.js';

export const TICKET_MERGES_JOB = 'tickets.finish-merges';

/**
 * Finishes ticket merges a crash interrupted (server/domain/tickets/merge-tickets.ts). Every ten
 * minutes: the embedded engine ignores the `mergeState` index, so each run is a scan of the
 * tickets there (MongoDB uses the index); a repeat of the merge by staff finishes it at once.
 */
export async function registerTicketMergesJob(agenda: Agenda, log: Logger): Promise<void> {
  agenda.define(
    TICKET_MERGES_JOB,
    async () => {
      const finished = await resumeMerges(systemCtx(log, TICKET_MERGES_JOB));
      if (finished) log.warn({ finished }, 'interrupted ticket merges finished');
    },
    { concurrency: 1, lockLifetime: 5 * 60_000 },
  );
  await agenda.every('10 minutes', TICKET_MERGES_JOB, undefined, { skipImmediate: false });
}
