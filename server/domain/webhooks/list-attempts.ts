import { Types } from 'mongoose';
import { z } from 'zod';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import type { Ctx } from '../context.js';
import { findEndpoint } from './access.js';

export const ATTEMPT_PAGE_MAX = 100;

export const listAttemptsSchema = z.object({
  /** The next page: attempts older than this one (an attempt id). */
  before: z
    .string()
    .regex(/^[0-9a-f]{24}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(ATTEMPT_PAGE_MAX).default(50),
});
export type ListAttemptsInput = z.input<typeof listAttemptsSchema>;

/** Request headers the history never shows: the signatures (made with the endpoint's secrets). */
const hiddenHeaders = new Set(['webhook-signature', 'authorization']);

type AttemptRow = {
  _id: Types.ObjectId;
  eventId: Types.ObjectId;
  msgId: string;
  attempt: number;
  at: Date;
  url: string;
  requestHeaders?: Record<string, unknown> | null;
  status?: number | null;
  responseExcerpt?: string | null;
  latencyMs: number;
  error?: string | null;
  ok: boolean;
};

export function attemptView(row: AttemptRow) {
  return {
    id: String(row._id),
    eventId: String(row.eventId),
    msgId: row.msgId,
    attempt: row.attempt,
    at: row.at.toISOString(),
    url: row.url,
    requestHeaders: Object.fromEntries(
      Object.entries(row.requestHeaders ?? {})
        .filter(([name]) => !hiddenHeaders.has(name.toLowerCase()))
        .map(([name, value]) => [name, String(value)]),
    ),
    status: row.status ?? null,
    responseExcerpt: row.responseExcerpt ?? '',
    latencyMs: row.latencyMs,
    error: row.error ?? null,
    ok: row.ok,
  };
}
export type AttemptView = ReturnType<typeof attemptView>;

/**
 * An endpoint's delivery attempts, newest first, one bounded page at a time (`before` the last
 * one of the previous page): what was sent (headers without signatures), the answer's status and
 * first 2 KB, the latency, or why nothing came back. Another company's endpoint is not found.
 */
export async function listAttempts(ctx: Ctx, id: string, input: ListAttemptsInput = {}) {
  const ep = await findEndpoint(ctx, id);
  const { before, limit } = listAttemptsSchema.parse(input);
  const rows = await WebhookAttempt.find({
    tenantId: ep.tenantId,
    endpointId: ep._id,
    ...(before ? { _id: { $lt: new Types.ObjectId(before) } } : {}),
  })
    .sort({ _id: -1 })
    .limit(limit + 1)
    .lean<AttemptRow[]>();
  const page = rows.slice(0, limit);
  return {
    data: page.map(attemptView),
    nextBefore: rows.length > limit ? String((page[page.length - 1] as AttemptRow)._id) : null,
  };
}
