import type { FastifyBaseLogger } from 'fastify';
import type { AuthConfig, GatewayConfig, ProviderEndpoint, RateLimit, WebhookSecrets } from '../config.ts';
import type { ProviderName } from '../errors.ts';
import type { ProviderServices } from './operation-context.ts';
import { CustomersClient } from '../providers/customers/index.ts';
import { HubSpotClient } from '../providers/hubspot/index.ts';
import { StripeClient } from '../providers/stripe/index.ts';
import { StaticBearer, type Credential } from '../upstream/auth/credential.ts';
import { OAuthRefreshToken } from '../upstream/auth/oauth-refresh-token.ts';
import { parsePolicyOverrides } from '../upstream/cache/cache-policy.ts';
import { createMemoryStore, type CacheStore } from '../upstream/cache/cache-store.ts';
import { EntityCache } from '../upstream/cache/entity-cache.ts';
import { createNullStore } from '../upstream/cache/null-store.ts';
import { createRedisStore } from '../upstream/cache/redis-store.ts';
import { createTieredStore, type TieredStore } from '../upstream/cache/tiered-store.ts';
import { createQuota } from '../upstream/quota/create-quota.ts';
import type { Quota } from '../upstream/quota/quota-guard.ts';
import { RedisConnection } from '../upstream/redis/redis-connection.ts';
import { CircuitBreaker, type BreakerState } from '../upstream/resilience/circuit-breaker.ts';
import { RetryPolicy } from '../upstream/resilience/retry-policy.ts';
import { UpstreamClient, type UpstreamGauges } from '../upstream/upstream-client.ts';
import { noTelemetry, type BreakerStateName, type Telemetry } from '../telemetry.ts';

/** An OAuth access token is renewed this long before it expires, so no call carries one that lapses in flight. */
const OAUTH_REFRESH_MARGIN_MS = 60 * 1000; // 1 min

export type ProviderEndpoints = Record<ProviderName, ProviderEndpoint>;

/** One tenant's provider accounts and budgets. */
export interface TenantEndpoints {
  id: string;
  endpoints: ProviderEndpoints;
  rateLimits: Record<ProviderName, RateLimit>;
  /** The secrets that sign this tenant's webhooks, per provider; none: its webhooks are refused. */
  webhookSecrets?: WebhookSecrets;
}

/** What one tenant's operations use: its own clients, credentials, quotas, breakers and cache view. */
export interface TenantStack {
  services: ProviderServices;
  breakers(): Record<ProviderName, BreakerState>;
  /** Each provider client's breaker, quota and bulkhead now: what a metrics scrape reads. */
  gauges(): Record<ProviderName, UpstreamGauges>;
}

export interface UpstreamStack {
  /** By tenant id. */
  tenants: ReadonlyMap<string, TenantStack>;
  cache: EntityCache;
  redis?: RedisConnection;
  /**
   * With Redis: whether the entity cache reads its in-process copy first (see TieredStore's
   * `localFirst`); the invalidation channel's state, told by the invalidation bus.
   */
  readLocalFirst(on: boolean): void;
  close(): Promise<void>;
}

/**
 * Everything that outlives a request, composed in one place. Per request, DataLoaders batch in
 * front of this; then a read goes: entity cache (fresh, stale, or single flight) → UpstreamClient,
 * whose stages are composed, in order, in upstream-client.ts.
 */
export async function createUpstreamStack(config: GatewayConfig, tenants: readonly TenantEndpoints[], log: FastifyBaseLogger, now?: () => number, telemetry: Telemetry = noTelemetry): Promise<UpstreamStack> {
  const clock = now ? { now } : {};
  const { redisUrl, redisClusterNodes } = config.cache;
  const target = redisUrl ? { url: redisUrl } : redisClusterNodes ? { clusterNodes: redisClusterNodes } : undefined;
  const redis = target
    ? new RedisConnection({
        ...target,
        commandTimeoutMs: config.redisTimeoutMs,
        probeIntervalMs: config.redisProbeIntervalMs,
        logger: { warn: (m) => log.warn(m), info: (m) => log.info(m) },
      })
    : undefined;
  await redis?.connect();

  const local = createMemoryStore({ maxEntries: config.cache.maxEntries, maxBytes: config.cache.maxBytes, ...clock });
  let store: CacheStore = local;
  let localCopy: CacheStore | undefined;
  let tiered: TieredStore | undefined;
  if (!config.cache.enabled) store = createNullStore();
  else if (redis) {
    // Entries under `<prefix>:cache:`, so that a flush (a scan of that namespace) never touches
    // the quota's keys (`<prefix>:v4:quota:…`): its pauses and its waiters' queue must survive.
    tiered = createTieredStore(createRedisStore(redis, `${config.cache.keyPrefix}:cache`), local, clock);
    store = tiered;
    localCopy = tiered.local;
  }
  const cache = new EntityCache({
    store,
    ...(localCopy ? { localCopy } : {}),
    maxFetchMs: config.resilience.operationDeadlineMs,
    ...clock,
    policies: parsePolicyOverrides(config.cache.policyOverrides),
    onBackgroundError: (error) => log.warn({ err: error }, 'background cache refresh failed'),
    telemetry,
  });

  const closers: Array<() => Promise<void>> = [];
  const stacks = new Map<string, TenantStack>();
  const quotas = new Map<string, Quota>();
  const quotaOf = (provider: ProviderName, credential: string, create: () => Quota) => {
    const key = `${provider}\n${credential}`;
    let quota = quotas.get(key);
    if (!quota) quotas.set(key, (quota = create()));
    return quota;
  };
  for (const tenant of tenants) stacks.set(tenant.id, tenantStack(config, tenant, { quotaOf, cache, redis, closers, clock, telemetry }));
  return {
    tenants: stacks,
    cache,
    ...(redis ? { redis } : {}),
    readLocalFirst: (on) => {
      if (tiered) tiered.localFirst = on;
    },
    close: async () => {
      await Promise.all(closers.map((close) => close()));
      await redis?.close();
    },
  };
}

interface Shared {
  /**
   * One quota per provider account: tenants that share an account share its budget in process
   * too, as they do in Redis (the key is the credential's), since the provider counts it once.
   * The first tenant's budget settings win.
   */
  quotaOf(provider: ProviderName, credential: string, create: () => Quota): Quota;
  cache: EntityCache;
  redis: RedisConnection | undefined;
  closers: Array<() => Promise<void>>;
  clock: { now?: () => number };
  telemetry: Telemetry;
}

/**
 * A tenant's clients. Nothing in them is shared with another tenant but the Redis connection and
 * the entity store, whose keys carry a fingerprint of the tenant and of the credential: two
 * tenants never read each other's entries, even were they to use the same provider account.
 * Quotas are keyed by the credential alone, since a provider counts its limit per account.
 */
function tenantStack(config: GatewayConfig, tenant: TenantEndpoints, { quotaOf, cache, redis, closers, clock, telemetry }: Shared): TenantStack {
  const upstream = (provider: ProviderName, headers: Record<string, string>) => {
    const endpoint = tenant.endpoints[provider];
    const credential = createCredential(provider, endpoint.auth, config, closers);
    const { resilience } = config;
    const client = new UpstreamClient({
      provider,
      baseUrl: endpoint.url,
      credential,
      headers,
      quota: quotaOf(provider, credential.identity, () =>
        createQuota({
          provider,
          credential: credential.identity,
          ...tenant.rateLimits[provider],
          maxWaitMs: config.quotaMaxWaitMs,
          redis,
          keyPrefix: config.cache.keyPrefix,
          fallbackShare: config.quotaFallbackShare,
        }),
      ),
      retry: new RetryPolicy(resilience.retry),
      breaker: new CircuitBreaker({ provider, ...resilience.breaker, ...clock, onStateChange: breakerWatcher(provider, tenant.id, telemetry) }),
      tenant: tenant.id,
      telemetry,
      bulkhead: resilience.bulkhead,
      attemptTimeoutMs: config.upstreamTimeoutMs,
      quotaMaxWaitMs: config.quotaMaxWaitMs,
    });
    closers.push(() => client.close());
    return { client, credential };
  };
  const customers = upstream('customers', {});
  const stripe = upstream('stripe', { 'stripe-version': config.stripeApiVersion });
  const hubspot = upstream('hubspot', {});
  const scope = (provider: ProviderName, credential: { identity: string }) => cache.scope(provider, `${tenant.id}\n${credential.identity}`);
  return {
    services: {
      customers: { client: new CustomersClient(customers.client), cache: scope('customers', customers.credential) },
      stripe: { client: new StripeClient(stripe.client, { chargesRead: config.stripeChargesRead, searchQuotaMaxWaitMs: config.quotaMaxWaitMs }), cache: scope('stripe', stripe.credential) },
      hubspot: { client: new HubSpotClient(hubspot.client), cache: scope('hubspot', hubspot.credential), defaultCurrency: config.hubspotDefaultCurrency },
    },
    breakers: () => ({ customers: customers.client.breakerState, stripe: stripe.client.breakerState, hubspot: hubspot.client.breakerState }),
    gauges: () => ({ customers: customers.client.gauges(), stripe: stripe.client.gauges(), hubspot: hubspot.client.gauges() }),
  };
}

/** The breaker tells its new state; telemetry wants the change, so the watcher keeps the last one. */
function breakerWatcher(provider: ProviderName, tenant: string, telemetry: Telemetry): (state: BreakerState) => void {
  let last: BreakerStateName = 'closed';
  return (state) => {
    const next: BreakerStateName = state.kind === 'half-open' ? 'half_open' : state.kind;
    if (next === last) return;
    telemetry.breakerChanged(provider, tenant, last, next);
    last = next;
  };
}

function createCredential(provider: ProviderName, auth: AuthConfig, config: GatewayConfig, closers: Array<() => Promise<void>>): Credential {
  switch (auth.kind) {
    case 'bearer':
      return new StaticBearer(auth.token);
    case 'oauth-refresh': {
      const oauth = new OAuthRefreshToken({ provider, ...auth, refreshMarginMs: OAUTH_REFRESH_MARGIN_MS, timeoutMs: config.upstreamTimeoutMs });
      closers.push(() => oauth.close());
      return oauth;
    }
  }
}
