import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { systemCtx } from '../server/domain/context.js';
import { completeTicketSetups } from '../server/domain/tickets/complete-setups.js';

export const TICKET_SETUPS_JOB = 'tickets.complete-setups';

/** Finishes ticket creations a crash interrupted (server/domain/tickets/complete-setups.ts). */
export async function registerTicketSetupsJob(agenda: Agenda, log: Logger): Promise<void> {
  agenda.define(
    TICKET_SETUPS_JOB,
    async () => {
      const { completed, dropped, failed } = await completeTicketSetups(systemCtx(log, TICKET_SETUPS_JOB));
      if (completed || dropped || failed)
        log.warn({ completed, dropped, failed }, 'interrupted ticket creations finished');
    },
    { concurrency: 1, lockLifetime: 5 * 60_000 },
  );
  await agenda.every('15 seconds', TICKET_SETUPS_JOB);
}
