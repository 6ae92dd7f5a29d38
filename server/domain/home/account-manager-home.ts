import type { Ctx } from '../context.js';
import { portfolio } from '../reports/portfolio.js';
import type { TrafficLight } from '../reports/report-tally.js';

const lightOrder: Record<TrafficLight, number> = { red: 0, amber: 1, green: 2, none: 3 };

/**
 * An account manager's home page: their portfolio, one row per client they serve with last
 * month's SLA compliance, its traffic light and worst breaches (reports/portfolio.ts), worst
 * light first so the client that needs attention is on top.
 */
export async function accountManagerHome(ctx: Ctx, now = new Date()) {
  const rows = await portfolio(ctx, now);
  return { rows: [...rows].sort((a, b) => lightOrder[a.light] - lightOrder[b.light]) };
}
