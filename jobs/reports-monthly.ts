import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { systemCtx } from '../server/domain/context.js';
import { queueMonthlyReports } from '../server/domain/reports/monthly.js';

export const MONTHLY_REPORTS_JOB = 'reports.monthly';

/**
 * Mails last month's SLA report to the account managers of each client on the first working
 * day of the month. Runs every hour: the domain decides what is due, the outbox key keeps it
 * to one mail per (manager, client, month).
 */
export async function registerMonthlyReports(agenda: Agenda, log: Logger): Promise<void> {
  agenda.define(MONTHLY_REPORTS_JOB, async () => {
    await queueMonthlyReports(systemCtx(log, MONTHLY_REPORTS_JOB));
  });
  await agenda.every('1 hour', MONTHLY_REPORTS_JOB, undefined, { skipImmediate: false });
}
