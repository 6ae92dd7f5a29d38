import { Types } from 'mongoose';
import { LegalHold } from '../../../models/legal-hold.js';
import type { Ctx } from '../context.js';

/** The active legal holds of one client, as sets to test against (one query per client and run). */
export interface ActiveHolds {
  /** A hold on the whole client: nothing of it may be purged or erased. */
  tenant: boolean;
  tickets: ReadonlySet<string>;
  documents: ReadonlySet<string>;
}

/**
 * The holds in force for `tenantId`. Called by the purge and by erasure before they touch
 * anything: the caller is the system or an admin, so the tenant is named directly.
 */
export async function activeHolds(_ctx: Ctx, tenantId: string): Promise<ActiveHolds> {
  const rows = await LegalHold.find(
    { tenantId: new Types.ObjectId(tenantId), releasedAt: null },
    { scope: 1, targetId: 1 },
  ).lean();
  const tickets = new Set<string>();
  const documents = new Set<string>();
  let tenant = false;
  for (const row of rows) {
    if (row.scope === 'tenant') tenant = true;
    else if (row.scope === 'ticket') tickets.add(String(row.targetId));
    else documents.add(String(row.targetId));
  }
  return { tenant, tickets, documents };
}

/** Whether a ticket, or any of the given documents of it, is held (a held document keeps its ticket). */
export function isHeld(holds: ActiveHolds, ticketId: string, documentIds: Iterable<string> = []): boolean {
  if (holds.tenant || holds.tickets.has(ticketId)) return true;
  for (const id of documentIds) if (holds.documents.has(id)) return true;
  return false;
}
