import type { ProviderName } from '../../errors.ts';

/**
 * How long each kind of entity may be served from the cache. `ttlMs`: fresh, served without
 * asking. `swrMs`: past the ttl, still served at once while a background refresh runs (RFC 5861
 * stale-while-revalidate). `maxStaleMs`: how far past the ttl an entry may still be served, and
 * beyond the swr window only when the provider fails, times out or is out of quota (RFC 5861
 * stale-if-error). Entries leave the store at ttl + maxStale.
 */
export interface FreshnessPolicy {
  ttlMs: number;
  swrMs: number;
  maxStaleMs: number;
}

export interface ResourceSpec {
  provider: ProviderName;
  policy: FreshnessPolicy;
}

const s = 1000;
const min = 60 * s;

/**
 * One policy per provider resource. The customer service revalidates cheaply (ETag → 304), so its
 * entries expire quickly and are revalidated rather than served stale; Stripe and HubSpot send no
 * validators, so freshness is time plus explicit invalidation, with a short stale-while-revalidate
 * window that keeps screens fast while the refresh runs.
 */
export const RESOURCES = {
  'customers.customer': { provider: 'customers', policy: { ttlMs: 60 * s, swrMs: 0, maxStaleMs: 60 * min } },
  'customers.page': { provider: 'customers', policy: { ttlMs: 60 * s, swrMs: 0, maxStaleMs: 60 * min } },
  'stripe.charges': { provider: 'stripe', policy: { ttlMs: 30 * s, swrMs: 30 * s, maxStaleMs: 10 * min } },
  'stripe.charge': { provider: 'stripe', policy: { ttlMs: 30 * s, swrMs: 30 * s, maxStaleMs: 10 * min } },
  'hubspot.contact': { provider: 'hubspot', policy: { ttlMs: 60 * s, swrMs: 60 * s, maxStaleMs: 60 * min } },
  'hubspot.contactByEmail': { provider: 'hubspot', policy: { ttlMs: 60 * s, swrMs: 60 * s, maxStaleMs: 60 * min } },
  'hubspot.dealIds': { provider: 'hubspot', policy: { ttlMs: 60 * s, swrMs: 60 * s, maxStaleMs: 60 * min } },
  'hubspot.deal': { provider: 'hubspot', policy: { ttlMs: 60 * s, swrMs: 60 * s, maxStaleMs: 60 * min } },
} as const satisfies Record<string, ResourceSpec>;

export type ResourceName = keyof typeof RESOURCES;
export type CachePolicies = Record<ResourceName, FreshnessPolicy>;

export function isResourceName(name: string): name is ResourceName {
  return Object.hasOwn(RESOURCES, name);
}

export function defaultPolicies(): CachePolicies {
  return Object.fromEntries(Object.entries(RESOURCES).map(([name, spec]) => [name, { ...spec.policy }])) as CachePolicies;
}

/**
 * Overrides as written in CACHE_POLICY: `resource=ttl[/swr[/maxStale]]` in seconds, comma
 * separated, e.g. `stripe.charges=10/0/300,hubspot.deal=120`. Throws a RangeError naming the part
 * it cannot read.
 */
export function parsePolicyOverrides(text: string, base: CachePolicies = defaultPolicies()): CachePolicies {
  const policies = { ...base };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([\w.]+)=(\d+)(?:\/(\d+))?(?:\/(\d+))?$/.exec(part);
    const name = match?.[1] ?? '';
    if (!match || !isResourceName(name)) {
      throw new RangeError(`cannot read ${JSON.stringify(part)}: expected resource=ttl[/swr[/maxStale]] with resource one of ${Object.keys(RESOURCES).join(', ')}`);
    }
    const current = policies[name];
    const ttlMs = Number(match[2]) * s;
    const swrMs = match[3] === undefined ? current.swrMs : Number(match[3]) * s;
    const maxStaleMs = match[4] === undefined ? Math.max(current.maxStaleMs, swrMs) : Number(match[4]) * s;
    if (maxStaleMs < swrMs) throw new RangeError(`${name}: maxStale must be at least swr`);
    policies[name] = { ttlMs, swrMs, maxStaleMs };
  }
  return policies;
}
