import { Types } from 'mongoose';
import { z } from 'zod';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { scopedCollection } from '../../db/scoped-collection.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { findEndpoint } from './access.js';

const events = scopedCollection(WebhookEvent);
const attempts = scopedCollection(WebhookAttempt);

/**
 * One event, or a time range [from, to) of failed events. A range that is empty by its bounds
 * (`from` not before `to`: typed the wrong way round) is refused on `from`, not answered
 * "0 replayed" as if nothing had failed in it.
 */
export const replayEventsSchema = z.union([
  z.strictObject({ eventId: z.string().regex(/^[0-9a-f]{24}$/) }),
  z
    .strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
    .refine((range) => Date.parse(range.from) < Date.parse(range.to), {
      path: ['from'],
      params: { key: 'input_checks.from_after_to' },
    }),
]);
export type ReplayEventsInput = z.infer<typeof replayEventsSchema>;

/** Back on the schedule from the start: due now, a full set of retries, no claim. */
const requeue = (now: Date) => ({
  $set: {
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    leaseUntil: null,
    claimedBy: null,
    deliveredAt: null,
  },
  $unset: { okAttempt: '' },
});

/**
 * The attempt that delivered this event, kept on it (`okAttempt`), becomes a row of the history
 * like the others (same _id, written again after a crash: a duplicate is the same row), so the
 * next delivery's attempt can take its place. Returns the condition the replay's update needs:
 * the event still holds that attempt (or none), else another replay and delivery came between.
 */
async function keepDeliveringAttempt(
  row: { _id: Types.ObjectId; tenantId: Types.ObjectId; endpointId: Types.ObjectId; msgId: string },
  ok: { _id: Types.ObjectId } | undefined,
): Promise<Record<string, unknown>> {
  if (!ok) return { okAttempt: { $exists: false } };
  await attempts
    .insertOne({
      ...ok,
      tenantId: row.tenantId,
      endpointId: row.endpointId,
      eventId: row._id,
      msgId: row.msgId,
    })
    .catch((err: unknown) => {
      if ((err as { code?: unknown } | null)?.code !== 11000) throw err;
    });
  return { 'okAttempt._id': ok._id };
}

/**
 * Replay: one event of this endpoint (delivered, failed or still waiting for a retry: due now),
 * or every FAILED event of this endpoint that happened in [from, to). Each is put back by a
 * conditional update on its status, so an event being delivered right now is left alone (one
 * event: a conflict) and a crash midway leaves every event either replayed or as it was. The row
 * is the same, so its `webhook-id` and bytes are the same: receivers de-duplicate as ever.
 */
export async function replayEvents(ctx: Ctx, id: string, input: ReplayEventsInput) {
  const ep = await findEndpoint(ctx, id);
  const now = new Date();
  const mine = { tenantId: ep.tenantId, endpointId: ep._id };
  let replayed: number;
  if ('eventId' in input) {
    const filter = { ...mine, _id: new Types.ObjectId(input.eventId) };
    const row = (await events.findOne(filter, {
      projection: { tenantId: 1, endpointId: 1, msgId: 1, okAttempt: 1 },
    })) as (Parameters<typeof keepDeliveringAttempt>[0] & { okAttempt?: { _id: Types.ObjectId } }) | null;
    if (!row) throw notFound();
    const still = await keepDeliveringAttempt(row, row.okAttempt);
    const done = await events.updateOne(
      { ...filter, status: { $in: ['delivered', 'failed', 'pending'] }, ...still },
      requeue(now),
    );
    if (!done.matchedCount)
      throw new AppError('conflict', 'event being delivered', { messageKey: 'webhook_ops.replay_busy' });
    replayed = 1;
  } else {
    const done = await events.updateMany(
      { ...mine, status: 'failed', occurredAt: { $gte: new Date(input.from), $lt: new Date(input.to) } },
      requeue(now),
    );
    replayed = done.modifiedCount;
  }
  await recordAudit(ctx, {
    action: 'webhook.replayed',
    tenantId: String(ep.tenantId),
    targetId: String(ep._id),
    targetLabel: ep.url,
    details: { ...input, replayed },
  });
  if (replayed) domainEvents.emit('webhook.queued', { count: replayed });
  return { replayed };
}
