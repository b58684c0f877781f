import type { FastifyBaseLogger } from 'fastify';
import type { GatewayConfig, ProviderEndpoint } from '../config.ts';
import type { ProviderName } from '../errors.ts';
import type { ProviderServices } from '../graphql/context.ts';
import { CustomersClient } from '../providers/customers/index.ts';
import { HubSpotClient } from '../providers/hubspot/index.ts';
import { StripeClient } from '../providers/stripe/index.ts';
import { parsePolicyOverrides } from '../upstream/cache/cache-policy.ts';
import { createMemoryStore, type CacheStore } from '../upstream/cache/cache-store.ts';
import { EntityCache } from '../upstream/cache/entity-cache.ts';
import { createNullStore } from '../upstream/cache/null-store.ts';
import { createRedisStore } from '../upstream/cache/redis-store.ts';
import { createTieredStore } from '../upstream/cache/tiered-store.ts';
import { createQuota } from '../upstream/quota/create-quota.ts';
import { RedisConnection } from '../upstream/redis/redis-connection.ts';
import { UpstreamClient } from '../upstream/upstream-client.ts';

export type ProviderEndpoints = Record<ProviderName, ProviderEndpoint>;

const CONNECTIONS_PER_PROVIDER = 32;

export interface UpstreamStack {
  services: ProviderServices;
  cache: EntityCache;
  redis?: RedisConnection;
  close(): Promise<void>;
}

/**
 * Everything that outlives a request, composed in one place. A call goes:
 * entity cache (hit, stale or single-flight) → quota guard (shared through Redis when there is
 * one) → undici keep-alive pool → provider. Per request, DataLoaders sit in front of the cache.
 */
export async function createUpstreamStack(config: GatewayConfig, endpoints: ProviderEndpoints, log: FastifyBaseLogger): Promise<UpstreamStack> {
  const redis = config.cache.redisUrl
    ? new RedisConnection({ url: config.cache.redisUrl, commandTimeoutMs: config.redisTimeoutMs, logger: { warn: (m) => log.warn(m), info: (m) => log.info(m) } })
    : undefined;
  await redis?.connect();

  const local = createMemoryStore({ maxEntries: config.cache.maxEntries });
  let store: CacheStore = local;
  if (!config.cache.enabled) store = createNullStore();
  else if (redis) store = createTieredStore(createRedisStore(redis, config.cache.keyPrefix), local);
  const cache = new EntityCache({
    store,
    policies: parsePolicyOverrides(config.cache.policyOverrides),
    onBackgroundError: (error) => log.warn({ err: error }, 'background cache refresh failed'),
  });

  const upstream = (provider: ProviderName, headers: Record<string, string>) => {
    const endpoint = endpoints[provider];
    return new UpstreamClient({
      provider,
      baseUrl: endpoint.url,
      headers: { authorization: `Bearer ${endpoint.credential}`, accept: 'application/json', ...headers },
      quota: createQuota({
        provider,
        credential: endpoint.credential,
        ...config.rateLimits[provider],
        maxWaitMs: config.quotaMaxWaitMs,
        redis,
        keyPrefix: config.cache.keyPrefix,
        fallbackShare: config.quotaFallbackShare,
      }),
      timeoutMs: config.upstreamTimeoutMs,
      connections: CONNECTIONS_PER_PROVIDER,
    });
  };
  const customers = upstream('customers', {});
  const stripe = upstream('stripe', { 'stripe-version': config.stripeApiVersion });
  const hubspot = upstream('hubspot', {});
  return {
    services: {
      customers: { client: new CustomersClient(customers), cache: cache.scope('customers', endpoints.customers.credential) },
      stripe: { client: new StripeClient(stripe), cache: cache.scope('stripe', endpoints.stripe.credential) },
      hubspot: { client: new HubSpotClient(hubspot), cache: cache.scope('hubspot', endpoints.hubspot.credential), defaultCurrency: config.hubspotDefaultCurrency },
    },
    cache,
    ...(redis ? { redis } : {}),
    close: async () => {
      await Promise.all([customers.close(), stripe.close(), hubspot.close()]);
      await redis?.close();
    },
  };
}
