/**
 * What the cache holds for one entity: the provider's (validated) wire value, when it was stored
 * or last revalidated, and the validators the provider sent. `value: null` records that the
 * provider has no such entity, so a known absence costs no call either.
 */
export interface CacheEntry<V> {
  value: V | null;
  storedAt: number;
  etag?: string;
  /** Size of the provider's answer for this entity; what a 304 saved. */
  bytes?: number;
}

export type Freshness = 'fresh' | 'stale-while-revalidate' | 'stale' | 'expired';

export function freshnessOf(entry: CacheEntry<unknown>, policy: { ttlMs: number; swrMs: number; maxStaleMs: number }, now: number): Freshness {
  const age = now - entry.storedAt;
  if (age <= policy.ttlMs) return 'fresh';
  if (age <= policy.ttlMs + policy.swrMs) return 'stale-while-revalidate';
  if (age <= policy.ttlMs + policy.maxStaleMs) return 'stale';
  return 'expired';
}
