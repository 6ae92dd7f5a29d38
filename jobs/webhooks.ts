import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import type { Types } from 'mongoose';
import { systemCtx } from '../server/domain/context.js';
import { domainEvents } from '../server/domain/events.js';
import { deliverDueWebhooks } from '../server/domain/webhooks/deliver.js';
import {
  recordSlaWebhookEvents,
  recordWebhookEvents,
  sweepMissedWebhookEvents,
} from '../server/domain/webhooks/record-events.js';
import {
  recordBusinessWebhookEvent,
  sweepMissedBusinessEvents,
} from '../server/domain/webhooks/record-business-events.js';
import type { SourceEntry } from '../server/domain/webhooks/event-types.js';

export const WEBHOOK_DELIVER_JOB = 'webhooks.deliver';
export const WEBHOOK_SWEEP_JOB = 'webhooks.sweep-missed';

/**
 * Two recurring jobs: delivery of due webhook events (retries, and the endpoints a dead process
 * had leased), and the sweep that writes events the fast path missed (server/domain/webhooks/
 * record-events.ts), also run once when a node starts (a crash means a restart).
 */
export async function registerWebhookJobs(agenda: Agenda, log: Logger): Promise<void> {
  agenda.define(
    WEBHOOK_DELIVER_JOB,
    async () => {
      await deliverDueWebhooks(systemCtx(log, WEBHOOK_DELIVER_JOB));
    },
    { concurrency: 1, lockLifetime: 5 * 60_000 },
  );
  agenda.define(
    WEBHOOK_SWEEP_JOB,
    async () => {
      // E-invoices and lots first: the timeline sweep moves the cursors both read from.
      await sweepMissedBusinessEvents(systemCtx(log, WEBHOOK_SWEEP_JOB));
      await sweepMissedWebhookEvents(systemCtx(log, WEBHOOK_SWEEP_JOB));
    },
    { concurrency: 1, lockLifetime: 10 * 60_000 },
  );
  await agenda.every(5_000, WEBHOOK_DELIVER_JOB);
  await agenda.every('1 minute', WEBHOOK_SWEEP_JOB, undefined, { skipImmediate: true });
  await agenda.now(WEBHOOK_SWEEP_JOB);
}

/**
 * The fast path, in this process: each stored timeline entry becomes its events at once (SLA
 * entries are written by the sweep in bulk: read back by ticket), and written events are
 * delivered at once. Runs are serialised; what fails here is left to the recurring jobs.
 */
export function webhooksOnEvents(log: Logger): () => Promise<void> {
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>): void => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const record = (tenantId: Types.ObjectId, entries: SourceEntry[]): void =>
    track(
      recordWebhookEvents(systemCtx(log, 'webhooks.on-timeline'), tenantId, entries).catch((err: unknown) =>
        log.warn({ err }, 'webhook events not written at once (the sweep writes them)'),
      ),
    );
  let running: Promise<void> | null = null;
  let again = false;
  const deliver = async (): Promise<void> => {
    do {
      again = false;
      await deliverDueWebhooks(systemCtx(log, 'webhooks.on-queue')).catch((err: unknown) =>
        log.error({ err }, 'webhook delivery failed'),
      );
    } while (again);
  };
  const offs = [
    domainEvents.on('timeline.appended', ({ entry }) => record(entry.tenantId, [entry])),
    domainEvents.on('ticket.sla', (e) =>
      track(
        recordSlaWebhookEvents(systemCtx(log, 'webhooks.on-sla'), e.tenantId, e.ticketId).catch(
          (err: unknown) =>
            log.warn({ err }, 'SLA webhook events not written at once (the sweep writes them)'),
        ),
      ),
    ),
    domainEvents.on('einvoice.received', (e) =>
      track(
        recordBusinessWebhookEvent(systemCtx(log, 'webhooks.on-einvoice'), 'einvoice.received', e).catch(
          (err: unknown) => log.warn({ err }, 'e-invoice webhook events not written'),
        ),
      ),
    ),
    domainEvents.on('quality.lot_decided', (e) =>
      track(
        recordBusinessWebhookEvent(systemCtx(log, 'webhooks.on-lot'), 'quality.lot_decided', e).catch(
          (err: unknown) => log.warn({ err }, 'quality lot webhook events not written'),
        ),
      ),
    ),
    domainEvents.on('quality.accuracy_breached', (e) =>
      track(
        recordBusinessWebhookEvent(
          systemCtx(log, 'webhooks.on-accuracy-breach'),
          'quality.accuracy_breached',
          e,
        ).catch((err: unknown) =>
          log.warn({ err }, 'accuracy breach webhook events not written (the sweep writes them)'),
        ),
      ),
    ),
    domainEvents.on('webhook.queued', () => {
      if (running) {
        again = true;
        return;
      }
      running = deliver().finally(() => {
        running = null;
      });
    }),
  ];
  return async () => {
    for (const off of offs) off();
    await Promise.allSettled([...pending]);
    await running;
  };
}
