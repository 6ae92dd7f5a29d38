import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { systemCtx } from '../server/domain/context.js';
import { sweepSla, SWEEP_BATCH } from '../server/domain/sla/sweep.js';

export const SLA_SWEEP_JOB = 'sla.sweep';

/**
 * One recurring job drives every SLA clock: it records what came due since the last run. The
 * interval bounds the lateness of a warning or breach record (README: SLA clock rules).
 */
export async function registerSlaSweep(agenda: Agenda, log: Logger, intervalMs: number): Promise<void> {
  agenda.define(
    SLA_SWEEP_JOB,
    async () => {
      const ctx = systemCtx(log, SLA_SWEEP_JOB);
      // Drain a backlog in batches within one run.
      for (let i = 0; i < 20; i++) {
        const { tickets, events } = await sweepSla(ctx);
        if (events) log.info({ tickets, events }, 'SLA events recorded');
        if (tickets < SWEEP_BATCH) break;
      }
    },
    { concurrency: 1, lockLifetime: 5 * 60_000 },
  );
  await agenda.every(intervalMs, SLA_SWEEP_JOB);
}
