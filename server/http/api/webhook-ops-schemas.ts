import { z } from 'zod';

/** The API's schemas of the operable part of webhooks: test events, attempt history, replay. */

export const testEventJson = z.object({
  eventId: z.string(),
  msgId: z.string().regex(/^msg_/),
  status: z.literal('pending'),
});

export { listAttemptsSchema as apiAttemptListQuery } from '../../domain/webhooks/list-attempts.js';
export { replayEventsSchema as apiReplayInput } from '../../domain/webhooks/replay-events.js';

export const attemptJson = z.object({
  id: z.string(),
  eventId: z.string(),
  msgId: z.string(),
  attempt: z.number().int(),
  at: z.iso.datetime(),
  url: z.string(),
  /** As sent, without the signatures. */
  requestHeaders: z.record(z.string(), z.string()),
  status: z.number().int().nullable(),
  /** The first 2 KB of the answer. */
  responseExcerpt: z.string(),
  latencyMs: z.number().int(),
  error: z.string().nullable(),
  ok: z.boolean(),
});
export const attemptListJson = z.object({ data: z.array(attemptJson), nextBefore: z.string().nullable() });
export const replayResultJson = z.object({ replayed: z.number().int() });
