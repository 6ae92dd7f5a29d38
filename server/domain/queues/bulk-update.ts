import { z } from 'zod';
import { priorities, ticketStatuses, type TicketStatus } from '../../../models/ticket.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { moveTicket } from '../tickets/lifecycle.js';
import { getTicket } from '../tickets/queries.js';
import { updateTicket } from '../tickets/update.js';
import { assignTicket, releaseTicket, takeTicket } from './claims.js';

/** Most rows one bulk action may name: a queue page shows at most 200 (views.ts QUEUE_PAGE). */
export const BULK_MAX = 200;

const tagList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    (v === undefined ? [] : Array.isArray(v) ? v : v.split(','))
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean)
      .slice(0, 20),
  );

/** One action on several tickets, as a queue page's bulk form (or the API) sends it. */
export const bulkInputSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('take') }),
  z.object({ action: z.literal('assign'), userId: z.string().regex(/^[0-9a-f]{24}$/) }),
  z.object({ action: z.literal('release') }),
  z.object({ action: z.literal('status'), status: z.enum(ticketStatuses) }),
  z.object({ action: z.literal('priority'), priority: z.enum(priorities) }),
  z.object({ action: z.literal('tags'), addTags: tagList, removeTags: tagList }),
]);
export type BulkInput = z.infer<typeof bulkInputSchema>;

export const bulkTicketsSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => [...new Set((Array.isArray(v) ? v : [v]).map((s) => s.trim()).filter(Boolean))])
  .pipe(z.array(z.string().max(40)).min(1).max(BULK_MAX));

export interface BulkFailure {
  /** The ticket as the caller named it (its number or id). */
  ref: string;
  /** Its number when the caller may see it; null when it is not theirs to see. */
  number: string | null;
  /** Why, as a translation key and its parameters (the adapter says it in the reader's language). */
  messageKey: string;
  params: Record<string, string | number>;
}

export interface BulkResult {
  done: string[];
  failed: BulkFailure[];
}

/**
 * The action on one ticket, through the same per-ticket operation a ticket page uses (claims,
 * tickets/update, lifecycle): each checks the actor's scope and permission and records the change
 * in the ticket's own timeline. Nothing here decides a rule of its own.
 */
async function applyOne(ctx: Ctx, ref: string, input: BulkInput): Promise<string> {
  switch (input.action) {
    case 'take':
      return (await takeTicket(ctx, ref)).number;
    case 'assign':
      return (await assignTicket(ctx, ref, input.userId)).number;
    case 'release':
      return (await releaseTicket(ctx, ref)).number;
    case 'status': {
      requirePermission(ctx, 'queues.work');
      const ticket = await getTicket(ctx, ref);
      return (await moveTicket(ctx, ticket, input.status as TicketStatus)).number;
    }
    case 'priority':
      return (await updateTicket(ctx, ref, { priority: input.priority })).number;
    case 'tags': {
      const ticket = await getTicket(ctx, ref);
      const tags = [...new Set([...(ticket.tags ?? []), ...input.addTags])].filter(
        (t) => !input.removeTags.includes(t),
      );
      return (await updateTicket(ctx, String(ticket._id), { tags })).number;
    }
  }
}

function failureOf(ref: string, err: unknown, number: string | null): BulkFailure {
  if (!(err instanceof AppError)) throw err;
  // A ticket the actor may not see is not named back beyond what they sent, and never said to exist.
  if (err.code === 'not_found')
    return { ref, number: null, messageKey: 'queue_views.bulk_not_found', params: {} };
  if (err.code === 'validation' && err.fields[0])
    return { ref, number, messageKey: err.fields[0].key, params: err.fields[0].params ?? {} };
  return { ref, number, messageKey: err.messageKey, params: err.params };
}

/**
 * Apply one action to several tickets. Each ticket is done on its own, in turn: a ticket outside
 * the actor's scope or in a state the action does not fit fails alone, named with its reason, and
 * the rest are applied. Every per-ticket write is complete on its own, so a crash part way leaves
 * some tickets done (each with its timeline entry) and the rest untouched: sending again finishes.
 */
export async function bulkUpdate(ctx: Ctx, refs: string[], input: BulkInput): Promise<BulkResult> {
  requirePermission(ctx, 'queues.work');
  if (input.action === 'assign') requirePermission(ctx, 'queues.manage');
  const result: BulkResult = { done: [], failed: [] };
  for (const ref of refs.slice(0, BULK_MAX)) {
    let number: string | null = null;
    try {
      number = /^[0-9a-f]{24}$/.test(ref) ? null : ref.toUpperCase();
      result.done.push(await applyOne(ctx, ref, input));
    } catch (err) {
      if (number === null && err instanceof AppError && err.code !== 'not_found') {
        number = (await getTicket(ctx, ref).catch(() => null))?.number ?? null;
      }
      result.failed.push(failureOf(ref, err, number));
    }
  }
  return result;
}
