import type { Ctx } from '../context.js';
import { ReadCache } from '../read-cache.js';
import { portfolio, type PortfolioRow } from '../reports/portfolio.js';
import type { TrafficLight } from '../reports/report-tally.js';

const lightOrder: Record<TrafficLight, number> = { red: 0, amber: 1, green: 2, none: 3 };

/**
 * Last month's portfolio rows, kept this long per account manager (and the clients they serve):
 * the report scans each client's tickets, which on the embedded engine is a collection scan per
 * client (../shared/engine-notes.md), and last month's figures hardly move while a manager
 * reloads their home. The reports page itself always reads afresh.
 */
export const accountManagerHomePolicy = { ttlMs: 5 * 60_000 } as const;

const rowsCache = new ReadCache<PortfolioRow[]>(accountManagerHomePolicy.ttlMs, 1_000);

export function forgetPortfolioHomes(): void {
  rowsCache.forget();
}

/**
 * An account manager's home page: their portfolio, one row per client they serve with last
 * month's SLA compliance, its traffic light and worst breaches (reports/portfolio.ts), worst
 * light first so the client that needs attention is on top.
 */
export async function accountManagerHome(ctx: Ctx, now = new Date()) {
  const actor = ctx.actor;
  const who =
    actor.kind === 'user' ? `${actor.userId}:${[...actor.tenantIds].sort().join(',')}` : ctx.requestId;
  // The day is in the key: the first load of the 1st (UTC) reads the month just ended.
  const key = `${who}:${now.toISOString().slice(0, 10)}`;
  const rows = await rowsCache.get(key, () => portfolio(ctx, now));
  return { rows: [...rows].sort((a, b) => lightOrder[a.light] - lightOrder[b.light]) };
}
