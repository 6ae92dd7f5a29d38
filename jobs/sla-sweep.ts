import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { systemCtx } from '../server/domain/context.js';
import { repairSlaDueList } from '../server/domain/sla/due-list.js';
import { sweepSla, SWEEP_BATCH } from '../server/domain/sla/sweep.js';

export const SLA_SWEEP_JOB = 'sla.sweep';
export const SLA_REPAIR_JOB = 'sla.repair-due-list';

/**
 * One recurring job drives every SLA clock: it records what came due since the last run. The
 * interval bounds the lateness of a warning or breach record (README: SLA clock rules). A second,
 * rare one puts back due-list rows a crash left missing (server/domain/sla/due-list.ts): it runs
 * at once when a node starts (a crash means a restart), then every 30 minutes.
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
  agenda.define(
    SLA_REPAIR_JOB,
    async () => {
      const written = await repairSlaDueList(systemCtx(log, SLA_REPAIR_JOB));
      if (written)
        log.warn({ written }, 'SLA due list: rows put back for tickets that had none or a late one');
    },
    { concurrency: 1, lockLifetime: 10 * 60_000 },
  );
  await agenda.every(intervalMs, SLA_SWEEP_JOB);
  await agenda.every('30 minutes', SLA_REPAIR_JOB, undefined, { skipImmediate: true });
  // `every` keeps a stored schedule as it is: this node's start asks for a run of its own.
  await agenda.now(SLA_REPAIR_JOB);
}
