import { Types } from 'mongoose';
import { z } from 'zod';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
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

type Id = Types.ObjectId | string;

/** Which attempts: any of these fields (an attempt's own), all of them when none. */
export interface AttemptFilter {
  tenantId?: Id;
  endpointId?: Id | { $in: Id[] };
  eventId?: Id;
  ok?: boolean;
}

type DeliveredEvent = {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  endpointId: Types.ObjectId;
  msgId: string;
  okAttempt: Omit<AttemptRow, 'eventId' | 'msgId'>;
};

/**
 * Attempts, newest first (by _id), at most `limit` (every one when absent), older than `before`:
 * from both places an attempt is kept, the `WebhookAttempt` rows and the attempt that delivered
 * an event, kept on the event (`okAttempt`, deliver.ts), each read by the same key and merged,
 * so pages follow one another by `before` whichever place their attempts come from. An attempt
 * in both (a replay moving it to a row, crashed before it took it off the event) is listed once.
 */
export async function attemptHistory(
  filter: AttemptFilter,
  page: { before?: Id; limit?: number } = {},
): Promise<Array<AttemptRow & { endpointId: Types.ObjectId; tenantId: Types.ObjectId }>> {
  const before = page.before ? { $lt: new Types.ObjectId(String(page.before)) } : null;
  const all = { allTenants: filter.tenantId === undefined };
  const own = {
    ...(filter.tenantId !== undefined ? { tenantId: filter.tenantId } : {}),
    ...(filter.endpointId !== undefined ? { endpointId: filter.endpointId } : {}),
  };
  const rows = WebhookAttempt.find({
    ...own,
    ...(filter.eventId !== undefined ? { eventId: filter.eventId } : {}),
    ...(filter.ok !== undefined ? { ok: filter.ok } : {}),
    ...(before ? { _id: before } : {}),
  })
    .setOptions(all)
    .sort({ _id: -1 });
  const delivered =
    filter.ok === false
      ? null
      : WebhookEvent.find({
          ...own,
          ...(filter.eventId !== undefined ? { _id: filter.eventId } : {}),
          'okAttempt._id': before ?? { $exists: true },
        })
          .setOptions(all)
          .select({ tenantId: 1, endpointId: 1, msgId: 1, okAttempt: 1 })
          .sort({ 'okAttempt._id': -1 });
  if (page.limit !== undefined) {
    rows.limit(page.limit);
    delivered?.limit(page.limit);
  }
  const [kept, done] = await Promise.all([
    rows.lean<Array<AttemptRow & { endpointId: Types.ObjectId; tenantId: Types.ObjectId }>>(),
    delivered ? delivered.lean<DeliveredEvent[]>() : [],
  ]);
  const seen = new Set(kept.map((a) => String(a._id)));
  const merged = [
    ...kept,
    ...done
      .filter((e) => !seen.has(String(e.okAttempt._id)))
      .map((e) => ({
        ...e.okAttempt,
        tenantId: e.tenantId,
        endpointId: e.endpointId,
        eventId: e._id,
        msgId: e.msgId,
      })),
  ].sort((a, b) => (String(a._id) < String(b._id) ? 1 : String(a._id) > String(b._id) ? -1 : 0));
  return page.limit !== undefined ? merged.slice(0, page.limit) : merged;
}

/**
 * An endpoint's delivery attempts, newest first, one bounded page at a time (`before` the last
 * one of the previous page): what was sent (headers without signatures), the answer's status and
 * first 2 KB, the latency, or why nothing came back. Another company's endpoint is not found.
 */
export async function listAttempts(ctx: Ctx, id: string, input: ListAttemptsInput = {}) {
  const ep = await findEndpoint(ctx, id);
  const { before, limit } = listAttemptsSchema.parse(input);
  const rows = await attemptHistory(
    { tenantId: ep.tenantId, endpointId: ep._id },
    { ...(before ? { before } : {}), limit: limit + 1 },
  );
  const page = rows.slice(0, limit);
  return {
    data: page.map(attemptView),
    nextBefore: rows.length > limit ? String((page[page.length - 1] as AttemptRow)._id) : null,
  };
}
