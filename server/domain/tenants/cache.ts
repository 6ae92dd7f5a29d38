import { Tenant, type TenantAttrs } from '../../../models/tenant.js';
import type { Types } from 'mongoose';
import { ReadCache } from '../read-cache.js';

/**
 * A short, process-local cache of tenant documents: the ticket path reads
 * the tenant several times per request (open, notify) and every read is a round trip.
 *
 * - Entries live `cachePolicy.ttlMs`; the tenant functions (tenants.ts) forget a tenant as soon
 *   as they change it, so the node that made a change sees it at once and the others within the
 *   TTL. Nothing that must hold across nodes at the same instant may rely on these reads.
 * - What is cached is the read in flight, so 50 concurrent misses cost one query; a failed read
 *   is not kept. Values are shared between callers: treat them as read-only.
 */
export const cachePolicy = { ttlMs: 5_000, maxEntries: 5_000 } as const;

export type CachedTenant = TenantAttrs & { _id: Types.ObjectId };

const tenants = new ReadCache<CachedTenant | null>(cachePolicy.ttlMs, cachePolicy.maxEntries);
const listeners = new Set<(tenantId: string | null) => void>();

/** The tenant document (lean), at most `cachePolicy.ttlMs` old; null when there is none. */
export function cachedTenant(id: Types.ObjectId | string): Promise<CachedTenant | null> {
  const key = String(id);
  return tenants.get(key, () => Tenant.findById(key).lean<CachedTenant>().exec());
}

/** Forget one tenant (after changing it), or every tenant (null); tells the listeners. */
export function forgetTenant(id: Types.ObjectId | string | null): void {
  tenants.forget(id === null ? undefined : String(id));
  for (const listener of listeners) listener(id === null ? null : String(id));
}

/** Caches derived from tenants (API token owners) forget along with them. */
export function onTenantForgotten(listener: (tenantId: string | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
