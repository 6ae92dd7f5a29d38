import type { Ctx } from '../context.js';
import { queueOverview } from '../queues/views.js';

/** Rows of "my tickets" and "breaching soon" on the home page; the queues page has the rest. */
export const OPERATOR_HOME_ROWS = 10;

/**
 * An operator's (or team lead's) home page: their tickets, their queues with how many tickets wait
 * in each, and the unassigned work whose SLA deadline falls within the next hours: the queues
 * overview's one aggregation (queues/views.ts), its lists cut to the first rows.
 */
export async function operatorHome(ctx: Ctx, now = new Date()) {
  const overview = await queueOverview(ctx, now);
  return {
    counts: overview.counts,
    mine: overview.mine.slice(0, OPERATOR_HOME_ROWS),
    soon: overview.soon.slice(0, OPERATOR_HOME_ROWS),
  };
}
