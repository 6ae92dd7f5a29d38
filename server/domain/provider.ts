import type { Types } from 'mongoose';
import { Provider, type ProviderAttrs } from '../../models/provider.js';
import { ReadCache } from './read-cache.js';

/**
 * The provider (the BPO itself: its locale and time zone), read as often as tenants are and
 * changed only by the seed, so it is cached like them (tenants/cache.ts) for the same TTL.
 */
const ttlMs = 5_000;

export type CachedProvider = ProviderAttrs & { _id: Types.ObjectId };

const provider = new ReadCache<CachedProvider | null>(ttlMs, 1);

/** The provider document (lean), at most a few seconds old; null before the first seed. */
export function cachedProvider(): Promise<CachedProvider | null> {
  return provider.get('provider', () => Provider.findOne({ key: 'provider' }).lean<CachedProvider>().exec());
}

export function forgetProvider(): void {
  provider.forget();
}
