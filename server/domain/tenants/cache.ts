import { Provider, type ProviderAttrs } from '../../../models/provider.js';
import { Tenant, type TenantAttrs } from '../../../models/tenant.js';
import type { Types } from 'mongoose';

/**
 * A short, process-local cache of tenant documents and of the provider: the ticket path reads
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
export type CachedProvider = ProviderAttrs & { _id: Types.ObjectId };

interface Entry<T> {
  at: number;
  value: Promise<T>;
}

const tenants = new Map<string, Entry<CachedTenant | null>>();
let provider: Entry<CachedProvider | null> | null = null;
const listeners = new Set<(tenantId: string | null) => void>();

function remember<T>(read: () => Promise<T>, store: (e: Entry<T>) => void, drop: (e: Entry<T>) => void): Promise<T> {
  const entry: Entry<T> = { at: Date.now(), value: read() };
  store(entry);
  entry.value.catch(() => drop(entry));
  return entry.value;
}

const fresh = (e: Entry<unknown> | null | undefined): boolean => !!e && Date.now() - e.at < cachePolicy.ttlMs;

/** The tenant document (lean), at most `cachePolicy.ttlMs` old; null when there is none. */
export function cachedTenant(id: Types.ObjectId | string): Promise<CachedTenant | null> {
  const key = String(id);
  const hit = tenants.get(key);
  if (fresh(hit)) return hit!.value;
  if (tenants.size >= cachePolicy.maxEntries) tenants.clear();
  return remember(
    () => Tenant.findById(key).lean<CachedTenant>().exec(),
    (e) => tenants.set(key, e),
    (e) => {
      if (tenants.get(key) === e) tenants.delete(key);
    },
  );
}

/** The provider document (lean), at most `cachePolicy.ttlMs` old; null before the first seed. */
export function cachedProvider(): Promise<CachedProvider | null> {
  if (fresh(provider)) return provider!.value;
  return remember(
    () => Provider.findOne({ key: 'provider' }).lean<CachedProvider>().exec(),
    (e) => (provider = e),
    (e) => {
      if (provider === e) provider = null;
    },
  );
}

/** Forget one tenant (after changing it), or every tenant (null); tells the listeners. */
export function forgetTenant(id: Types.ObjectId | string | null): void {
  if (id === null) tenants.clear();
  else tenants.delete(String(id));
  for (const listener of listeners) listener(id === null ? null : String(id));
}

export function forgetProvider(): void {
  provider = null;
}

/** Caches derived from tenants (API token owners) forget along with them. */
export function onTenantForgotten(listener: (tenantId: string | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
