import type { ApiKeyEntry } from './auth/api-keys-file.ts';
import type { JwtSettings } from './auth/jwt-verifier.ts';
import type { TenantConfig } from './auth/tenants-file.ts';
import { ConfigError } from './config-error.ts';
import { ConfigProblems } from './config/config-problems.ts';
import { eventsConfig, httpConfig, metricsConfig, redisTarget, tracingConfig, trustedDocuments, writesConfig } from './config/cross-checks.ts';
import { CONFIG_KEYS, parseEnvironment, type Env } from './config/env-schema.ts';
import { liveStripeKey, remoteProviders, singleTenantConfigured } from './config/remote-providers.ts';
import { webhookSecrets } from './config/secrets.ts';
import { applyTenancy } from './config/tenancy.ts';
import type { ProviderName } from './errors.ts';
import type { ExecutorKind } from './graphql/executor/operation-executor.ts';
import type { OperationLimits } from './graphql/limits/operation-limits.ts';
import type { TrustedOperation } from './server/trusted-documents/trusted-manifest.ts';
import type { SubscriptionSettings } from './server/subscriptions/subscription-settings.ts';

/** Re-exported: callers of loadConfig catch it from here; CONFIG_KEYS documents every variable. */
export { CONFIG_KEYS, ConfigError };
export { formatConfigError, type ConfigProblem } from './config-error.ts';

/** Requests allowed per window, and the window in milliseconds. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

export type AuthConfig =
  | { kind: 'bearer'; token: string }
  | { kind: 'oauth-refresh'; tokenUrl: string; clientId: string; clientSecret: string; refreshToken: string };

export interface ProviderEndpoint {
  url: string;
  auth: AuthConfig;
}

export interface ResilienceConfig {
  operationDeadlineMs: number;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; budgetRatio: number; budgetReserve: number };
  breaker: { failureRate: number; windowMs: number; minCallsPerSecond: number; halfOpenAfterMs: number };
  bulkhead: { maxConcurrent: number; maxQueued: number };
}

/** The HTTP server's own limits, and CORS (src/server/http-hygiene.ts). */
export interface HttpConfig {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Empty: no CORS headers at all; `['*']`: any origin, never with credentials. */
  cors: { origins: string[]; credentials: boolean };
}

export interface GatewayConfig {
  port: number;
  host: string;
  production: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** What the logs say of each request, and what they keep out (src/server/access-log.ts, src/ops/log-telemetry.ts). */
  logs: LogsConfig;
  /** How long /readyz answers 503 before the listener closes, so that load balancers stop sending first. */
  shutdownGraceMs: number;
  /** `embedded`: start the simulators in-process and talk to them; `remote`: the URLs below. */
  mode: 'embedded' | 'remote';
  upstreamReport: boolean;
  /** How queries run (src/graphql/executor/). */
  executor: ExecutorKind;
  upstreamTimeoutMs: number;
  resilience: ResilienceConfig;
  quotaMaxWaitMs: number;
  simLatencyMs: number;
  stripeApiVersion: string;
  /** How `Customer.payments` reads first pages of charges: `list` per customer (default) or `search`, ten customers a call. */
  stripeChargesRead: 'list' | 'search';
  hubspotDefaultCurrency: string;
  cache: {
    enabled: boolean;
    /** Absent (and no redisClusterNodes): the in-process store only. */
    redisUrl?: string;
    /** `host:port` seed nodes of a Redis Cluster; never set together with redisUrl. */
    redisClusterNodes?: string[];
    keyPrefix: string;
    maxEntries: number;
    /** Estimated heap bytes (keys and values) the in-process entity store keeps. */
    maxBytes: number;
    /** Bytes of whole answers the result cache keeps. */
    resultMaxBytes: number;
    /** Identical queries in flight answered once (answers-in-flight.ts). */
    shareIdenticalOperations: boolean;
    /** CACHE_POLICY as written; parsed and checked against the resource list here. */
    policyOverrides: string;
  };
  redisTimeoutMs: number;
  /** While Redis is down, the pause between the PINGs that check whether it is back. */
  redisProbeIntervalMs: number;
  /** Share of each provider's budget one instance may spend alone while Redis is away. */
  quotaFallbackShare: number;
  /** Each provider's budget, for both modes (the simulators enforce the real providers' limits). */
  rateLimits: Record<ProviderName, RateLimit>;
  /** Budgets of each calling client and of each tenant, per window; 0 is unlimited (src/server/rate-limit/). */
  clientRateLimits: { clientRequests: number; clientCost: number; tenantRequests: number; tenantCost: number; windowMs: number };
  /**
   * The default tenant's accounts, from the single-tenant provider variables (remote mode); absent
   * in embedded mode, where the simulators' addresses are used, and when only TENANTS_FILE is set.
   */
  providers?: Record<ProviderName, ProviderEndpoint>;
  /** Id of the tenant the provider variables (or, embedded, the simulators) stand for. */
  defaultTenantId: string;
  /** Tenants from TENANTS_FILE, each with its own accounts; empty without the file. */
  tenants: TenantConfig[];
  /**
   * How clients prove who they are. Neither set: no authentication, and requests act as the one
   * tenant with every scope (refused in production, and when there are several tenants).
   */
  clientAuth: { apiKeys?: ApiKeyEntry[]; jwt?: JwtSettings };
  http: HttpConfig;
  /** `operations` is the checked manifest; empty when mode is off. */
  trustedDocuments: { mode: 'off' | 'allow' | 'enforce'; operations: TrustedOperation[] };
  /** Checked before any resolver runs; defaults and why in src/graphql/limits/operation-limits.ts. */
  limits: OperationLimits;
  /** Webhooks and the durable event log (src/events/, src/server/webhooks/). */
  events: EventsConfig;
  /** Mutations: client idempotency keys and deferred writes (src/writes/, src/server/writes/). */
  writes: WritesConfig;
  /**
   * The default tenant's webhook signing secrets per provider (several during a rotation);
   * embedded mode uses the simulators' own. Tenants of TENANTS_FILE carry theirs.
   */
  webhookSecrets: WebhookSecrets;
  /** WebSocket connections' limits; defaults and why in src/server/subscriptions/subscription-settings.ts. */
  subscriptions: SubscriptionSettings;
  /** OpenTelemetry traces (src/ops/tracing.ts): off unless an OTLP endpoint is set. */
  tracing: { tracesUrl?: string };
  /** GET /metrics (Prometheus); series and access in the README's "Metrics". */
  metrics: MetricsConfig;
  /** What a browser's GET of /graphql shows: GraphiQL from local files, Apollo's CDN-hosted Sandbox, or nothing. */
  explorer: 'local' | 'apollo' | 'off';
  /** Answers compressed (gzip, brotli) when the client accepts it and they reach the threshold. */
  compression: { enabled: boolean; thresholdBytes: number };
  /** Automatic persisted queries, kept in the entity cache's store (Redis when configured). */
  /** `maxEntries`: most documents in the shared store (Redis), all instances together. */
  apq: { enabled: boolean; ttlSeconds: number; maxEntries: number };
}

export interface MetricsConfig {
  enabled: boolean;
  /** When set, a scrape must send `Authorization: Bearer <token>`. A secret: never logged. */
  token?: string;
  /** When set, /metrics is served on this port (of `host`) only, not beside /graphql. */
  port?: number;
  /** The interface the METRICS_PORT server listens on. */
  host: string;
  /** Distinct operation names labelled by name; later ones count as `other`. */
  maxOperations: number;
}

export interface LogsConfig {
  /** One info line per request (health checks at debug). */
  accessLog: boolean;
  /** Field names (lower case) whose values are masked in upstream error bodies that reach the logs; empty: none. */
  redactFields: string[];
}

export type WebhookSecrets = Partial<Record<ProviderName, string[]>>;

export interface EventsConfig {
  /** Largest webhook body read; a larger one gets 413 before it is read whole. */
  webhookMaxBytes: number;
  /** The gateway's address as providers see it, for signatures over the full URI (HubSpot). */
  publicUrl?: string;
  /** Attempts per event before it becomes a dead letter. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long an event may sit with a consumer that does not finish it before another takes it over. */
  claimIdleMs: number;
  /** How long an event id is remembered to refuse its duplicates (Stripe retries for 3 days). */
  dedupeTtlMs: number;
}

export interface WritesConfig {
  /** How long a client's Idempotency-Key and its answer are kept. */
  idempotencyTtlMs: number;
  /** Attempts to send a deferred write before it becomes a dead letter. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long a deferred write's status stays readable (`writeStatus`). */
  recordTtlMs: number;
}

/**
 * All configuration, read from the environment once at start and validated here: every variable
 * by its field in ENV_SCHEMA (src/config/env-schema.ts, which also documents it), then the rules
 * between variables and the files they name. A bad configuration stops start-up with one
 * ConfigError listing every problem, each naming its variable; secret values never appear.
 */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const problems = new ConfigProblems();
  const v = parseEnvironment(env, problems);
  const singleTenant = singleTenantConfigured(env);
  const remote = singleTenant || v.TENANTS_FILE !== undefined;
  const providers = singleTenant ? remoteProviders(env, v, problems) : undefined;
  const hubspotAuth = providers?.hubspot.auth;
  const production = v.NODE_ENV === 'production';
  const config: GatewayConfig = {
    port: v.PORT,
    host: v.HOST,
    production,
    logLevel: v.LOG_LEVEL,
    logs: { accessLog: v.ACCESS_LOG, redactFields: v.LOG_REDACT_FIELDS },
    shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
    mode: remote ? 'remote' : 'embedded',
    upstreamReport: v.UPSTREAM_REPORT ?? !remote,
    executor: v.GRAPHQL_EXECUTOR,
    upstreamTimeoutMs: v.UPSTREAM_TIMEOUT_MS,
    resilience: {
      operationDeadlineMs: v.OPERATION_DEADLINE_MS,
      retry: {
        maxAttempts: v.RETRY_MAX_ATTEMPTS,
        baseDelayMs: v.RETRY_BASE_DELAY_MS,
        maxDelayMs: v.RETRY_MAX_DELAY_MS,
        budgetRatio: v.RETRY_BUDGET_RATIO,
        budgetReserve: v.RETRY_BUDGET_RESERVE,
      },
      breaker: {
        failureRate: v.BREAKER_FAILURE_RATE,
        windowMs: v.BREAKER_WINDOW_MS,
        minCallsPerSecond: v.BREAKER_MIN_CALLS_PER_SECOND,
        halfOpenAfterMs: v.BREAKER_HALF_OPEN_AFTER_MS,
      },
      bulkhead: { maxConcurrent: v.BULKHEAD_MAX_CONCURRENT, maxQueued: v.BULKHEAD_MAX_QUEUED },
    },
    quotaMaxWaitMs: v.QUOTA_MAX_WAIT_MS,
    simLatencyMs: v.SIM_LATENCY_MS,
    stripeApiVersion: v.STRIPE_API_VERSION,
    stripeChargesRead: v.STRIPE_CHARGES_READ,
    hubspotDefaultCurrency: v.HUBSPOT_DEFAULT_CURRENCY,
    cache: {
      enabled: v.CACHE_ENABLED,
      ...redisTarget(env, v, problems),
      keyPrefix: v.CACHE_KEY_PREFIX,
      maxEntries: v.CACHE_MAX_ENTRIES,
      maxBytes: v.CACHE_MAX_BYTES,
      resultMaxBytes: v.RESULT_CACHE_MAX_BYTES,
      shareIdenticalOperations: v.SHARE_IDENTICAL_OPERATIONS,
      policyOverrides: v.CACHE_POLICY,
    },
    redisTimeoutMs: v.REDIS_TIMEOUT_MS,
    redisProbeIntervalMs: v.REDIS_PROBE_INTERVAL_MS,
    quotaFallbackShare: v.QUOTA_FALLBACK_SHARE,
    // Stripe documents 100 req/s live and 25 req/s test; HubSpot 100 per 10 s on Free/Starter.
    // The embedded simulator's key is a test key, so it gets test mode's limit too.
    rateLimits: {
      customers: { limit: v.CUSTOMERS_RATE_LIMIT, windowMs: v.CUSTOMERS_RATE_WINDOW_MS },
      stripe: { limit: v.STRIPE_RATE_LIMIT ?? (liveStripeKey(providers) ? 100 : 25), windowMs: v.STRIPE_RATE_WINDOW_MS },
      hubspot: { limit: v.HUBSPOT_RATE_LIMIT, windowMs: v.HUBSPOT_RATE_WINDOW_MS },
    },
    clientRateLimits: {
      clientRequests: v.CLIENT_RATE_LIMIT_REQUESTS,
      clientCost: v.CLIENT_RATE_LIMIT_COST,
      tenantRequests: v.TENANT_RATE_LIMIT_REQUESTS,
      tenantCost: v.TENANT_RATE_LIMIT_COST,
      windowMs: v.RATE_LIMIT_WINDOW_MS,
    },
    ...(providers ? { providers } : {}),
    defaultTenantId: v.DEFAULT_TENANT_ID ?? (remote ? 'default' : 'sample'),
    tenants: [],
    clientAuth: {},
    http: httpConfig(v, problems),
    trustedDocuments: trustedDocuments(v, problems),
    limits: {
      maxRequestBytes: v.MAX_REQUEST_BYTES,
      maxQueryBytes: v.MAX_QUERY_BYTES,
      maxTokens: v.MAX_QUERY_TOKENS,
      maxDepth: v.MAX_QUERY_DEPTH,
      maxAliases: v.MAX_QUERY_ALIASES,
      maxRootFields: v.MAX_ROOT_FIELDS,
      maxDirectives: v.MAX_QUERY_DIRECTIVES,
      maxCost: v.MAX_QUERY_COST,
      maxStringLength: v.MAX_STRING_ARGUMENT_LENGTH,
      maxVariablesDepth: v.MAX_VARIABLES_DEPTH,
    },
    events: eventsConfig(v, problems),
    writes: writesConfig(v, problems),
    webhookSecrets: webhookSecrets(env, problems, hubspotAuth?.kind === 'oauth-refresh' ? hubspotAuth.clientSecret : undefined),
    subscriptions: {
      maxPerConnection: v.SUBSCRIPTIONS_MAX_PER_CONNECTION,
      maxBufferedBytes: v.SUBSCRIPTIONS_MAX_BUFFERED_BYTES,
      pingIntervalMs: v.SUBSCRIPTIONS_PING_INTERVAL_MS,
    },
    tracing: tracingConfig(v),
    metrics: metricsConfig(env, v, problems),
    explorer: v.EXPLORER ?? (production ? 'off' : 'local'),
    compression: { enabled: v.COMPRESSION, thresholdBytes: v.COMPRESSION_THRESHOLD_BYTES },
    apq: { enabled: v.APQ, ttlSeconds: v.APQ_TTL_SECONDS, maxEntries: v.APQ_MAX_ENTRIES },
  };
  applyTenancy(config, env, v, problems);
  problems.throwIfAny();
  return config;
}
