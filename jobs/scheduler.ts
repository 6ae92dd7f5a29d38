import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';

export interface SchedulerOptions {
  db: Db;
  log: Logger;
  name: string;
  /** Milliseconds, as a number: agenda 6 misparses some strings (see engine notes). */
  processEveryMs?: number;
}

/**
 * One agenda instance per process, on the same database as everything else. Job modules
 * register their definitions on it; they stay thin and call the domain.
 */
export function createScheduler({ db, log, name, processEveryMs = 1000 }: SchedulerOptions): Agenda {
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db }),
    name,
    processEvery: processEveryMs,
    defaultConcurrency: 5,
    maxConcurrency: 20,
    defaultLockLifetime: 60_000,
  });
  agenda.on('error', (err) => log.error({ err }, 'agenda error'));
  agenda.on('fail', (err: Error | string, job: { attrs?: { name?: string } }) =>
    log.error({ err, job: job.attrs?.name }, 'job failed'),
  );
  return agenda;
}
