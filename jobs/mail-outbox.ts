import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { systemCtx } from '../server/domain/context.js';
import { domainEvents } from '../server/domain/events.js';
import { deliverDueMail } from '../server/domain/mail/outbox.js';

export const OUTBOX_JOB = 'mail.deliver-outbox';

/** Runs of deliverDueMail (50 mails each) one sweep or one wake-up makes at most before yielding. */
const MAX_ROUNDS = 20;

/** Deliver until nothing more is due (a run that sent fewer than its limit), a failure, or MAX_ROUNDS. */
async function deliverBacklog(log: Logger, name: string): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const limit = 50;
    const { sent, failed } = await deliverDueMail(systemCtx(log, name), limit);
    if (failed || sent < limit) return;
  }
}

/** The recurring sweep: retries, and mail queued by a process that died before sending. */
export async function registerOutboxJob(agenda: Agenda, log: Logger): Promise<void> {
  agenda.define(OUTBOX_JOB, async () => {
    await deliverBacklog(log, OUTBOX_JOB);
  });
  await agenda.every('30 seconds', OUTBOX_JOB);
}

/**
 * Deliver right after a mail is queued, in this process, instead of waiting for the sweep.
 * Runs are serialised: one in flight at a time, and one more if mail arrived meanwhile.
 */
export function deliverOnQueue(log: Logger): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const run = async (): Promise<void> => {
    do {
      again = false;
      await deliverBacklog(log, 'mail.on-queue').catch((err: unknown) =>
        log.error({ err }, 'outbox delivery failed'),
      );
    } while (again);
  };
  const off = domainEvents.on('mail.queued', () => {
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = null;
    });
  });
  return async () => {
    off();
    await running;
  };
}
