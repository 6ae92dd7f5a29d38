import { Ticket } from '../../../models/ticket.js';
import { crossTenant } from '../../db/scoped-collection.js';
import { can } from '../auth/policy.js';
import type { Ctx } from '../context.js';

/**
 * Tickets (open and closed) up to which the embedded database keeps /queues, a queue page, the
 * ticket list and a ticket page under 0.5 s (p95) with 20 operators working: measured with
 * `npm run bench:capacity`, written in the README ("Capacity of the embedded database"). Keep
 * the two equal. EMBEDDED_CAPACITY_TICKETS overrides it (a bigger machine, or tests).
 */
export const EMBEDDED_CAPACITY_TICKETS = 3_500;

/** Admins are warned from this share of the capacity on. */
export const CAPACITY_WARN_SHARE = 0.8;

export interface CapacityNotice {
  tickets: number;
  capacity: number;
  percent: number;
}

/**
 * How close the embedded database is to its capacity, when it is past the warning share; null
 * below it, with MongoDB (`capacity` null), and for anyone but admins. The count is the
 * collection's size from its metadata (estimatedDocumentCount: no scan; measured on H2 at 160 000
 * tickets, median 0.5 ms, where a count with a filter scanned for 8 s), so admin pages and the
 * maintenance job can ask freely.
 */
export async function capacityNotice(ctx: Ctx, capacity: number | null): Promise<CapacityNotice | null> {
  if (capacity === null || !can(ctx.actor, 'capacity.read')) return null;
  // Every tenant's tickets, by design: the database's size, not a tenant's data.
  const tickets = await crossTenant(
    Ticket,
    "the database's size, not a tenant's data",
  ).estimatedDocumentCount();
  if (tickets < capacity * CAPACITY_WARN_SHARE) return null;
  return { tickets, capacity, percent: Math.round((tickets / capacity) * 100) };
}
