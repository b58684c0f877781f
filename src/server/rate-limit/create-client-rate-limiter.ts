import type { GatewayConfig } from '../../config.ts';
import type { RedisConnection } from '../../upstream/redis/redis-connection.ts';
import { checkRateLimitPolicy, ClientRateLimiter, type RateLimitOverride } from './client-rate-limiter.ts';
import { MemoryRateLimitStore } from './memory-rate-limit-store.ts';
import { RedisRateLimitStore } from './redis-rate-limit-store.ts';

export interface ClientRateLimiterSetup {
  config: GatewayConfig;
  /** Shared budgets when present, with an in-process fallback; in-process only otherwise. */
  redis: RedisConnection | undefined;
  now?: (() => number) | undefined;
}

/** The limiter for this gateway's configuration: the defaults, and each tenant's own `limits` over them. */
export function createClientRateLimiter({ config, redis, now }: ClientRateLimiterSetup): ClientRateLimiter {
  const { windowMs, ...defaults } = config.clientRateLimits;
  const overrides = new Map<string, RateLimitOverride>(config.tenants.map((tenant) => [tenant.id, tenant.limits]));
  // A bad override stops start-up here, naming its tenant, rather than failing its requests.
  for (const [tenantId, override] of overrides) {
    try {
      checkRateLimitPolicy({ ...defaults, ...override }, windowMs);
    } catch (error) {
      throw new TypeError(`tenant ${tenantId}'s limits: ${(error as Error).message}`);
    }
  }
  const local = new MemoryRateLimitStore(now ? { now } : {});
  // v1 of the key layout: `<prefix>:v1:ratelimit:{<tenant>}:…`, apart from the cache's namespace
  // so that a cache flush never resets anyone's budget.
  const store = redis ? new RedisRateLimitStore({ redis, keyPrefix: `${config.cache.keyPrefix}:v1:ratelimit`, fallback: local }) : local;
  return new ClientRateLimiter({ store, defaults, windowMs, policyFor: (tenantId) => overrides.get(tenantId) });
}
