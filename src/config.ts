import type { ExecutorKind } from './graphql/executor/operation-executor.ts';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.ts';
import type { ProviderName } from './errors.ts';
import { parsePolicyOverrides } from './upstream/cache/cache-policy.ts';
import { loadApiKeysFile, type ApiKeyEntry } from './auth/api-keys-file.ts';
import type { JwtSettings } from './auth/jwt-verifier.ts';
import { TENANT_ID, loadTenantsFile, type TenantConfig } from './auth/tenants-file.ts';
import { readTrustedManifest, type TrustedOperation } from './server/trusted-documents/trusted-manifest.ts';
import { LIMIT_DEFAULTS, type OperationLimits } from './graphql/limits/operation-limits.ts';
import { SUBSCRIPTION_DEFAULTS, type SubscriptionSettings } from './server/subscriptions/subscription-settings.ts';

/** Re-exported: callers of loadConfig catch it from here. */
export { ConfigError };

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
  apq: { enabled: boolean; ttlSeconds: number };
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

type Env = Record<string, string | undefined>;

export const CONFIG_KEYS = {
  PORT: 'HTTP port of the gateway (default 4000)',
  HOST: 'Interface to listen on (default 0.0.0.0)',
  NODE_ENV: '`production` hides the sandbox landing page and disables introspection',
  LOG_LEVEL: 'fatal, error, warn, info (default), debug, trace or silent',
  ACCESS_LOG: 'on/off: one info line per request with its id, operation, client, tenant, status, duration and upstream calls (default on; /healthz and /readyz at debug)',
  LOG_REDACT_FIELDS: 'Fields masked in upstream error bodies that reach the logs, comma separated (default email,name,firstname,lastname,phone; none to disable)',
  SHUTDOWN_GRACE_MS: 'On SIGTERM, how long /readyz answers 503 while requests are still served, before the listener closes (default 0)',
  CUSTOMERS_API_URL: 'Customer service base URL; setting any provider variable selects remote mode',
  CUSTOMERS_API_TOKEN: 'Customer service bearer token (or CUSTOMERS_API_TOKEN_FILE)',
  CUSTOMERS_RATE_LIMIT: 'Customer service requests per window (default 100)',
  CUSTOMERS_RATE_WINDOW_MS: 'Customer service rate-limit window (default 1000)',
  STRIPE_API_URL: 'Stripe base URL (default https://api.stripe.com)',
  STRIPE_SECRET_KEY: 'Stripe secret key sk_test_… or sk_live_… (or STRIPE_SECRET_KEY_FILE)',
  STRIPE_API_VERSION: 'Pinned Stripe-Version (default 2025-02-24.acacia)',
  STRIPE_CHARGES_READ: 'list (default: one strongly consistent call per customer) or search (ten customers a call, up to a minute stale; see docs/mapping.md)',
  STRIPE_RATE_LIMIT: 'Stripe requests per window (default 25 for test keys, 100 for live keys)',
  STRIPE_RATE_WINDOW_MS: 'Stripe rate-limit window (default 1000)',
  HUBSPOT_API_URL: 'HubSpot base URL (default https://api.hubapi.com)',
  HUBSPOT_ACCESS_TOKEN: 'HubSpot private app token (or HUBSPOT_ACCESS_TOKEN_FILE); or OAuth with the three below',
  HUBSPOT_CLIENT_ID: 'HubSpot OAuth app client id',
  HUBSPOT_CLIENT_SECRET: 'HubSpot OAuth app client secret (or HUBSPOT_CLIENT_SECRET_FILE)',
  HUBSPOT_REFRESH_TOKEN: 'HubSpot OAuth refresh token (or HUBSPOT_REFRESH_TOKEN_FILE)',
  HUBSPOT_RATE_LIMIT: 'HubSpot requests per window (default 100, the Free/Starter limit)',
  HUBSPOT_RATE_WINDOW_MS: 'HubSpot rate-limit window (default 10000)',
  HUBSPOT_DEFAULT_CURRENCY: 'Currency of deals without deal_currency_code (default USD)',
  UPSTREAM_TIMEOUT_MS: 'Cap on each upstream attempt\'s connect, headers and body timeouts (default 2000)',
  OPERATION_DEADLINE_MS: 'Deadline of a whole GraphQL operation; no upstream call outlives it (default 5000)',
  RETRY_MAX_ATTEMPTS: 'Attempts per safe upstream call, the first included (default 3)',
  RETRY_BASE_DELAY_MS: 'Full-jitter backoff base (default 50)',
  RETRY_MAX_DELAY_MS: 'Full-jitter backoff cap (default 1000)',
  RETRY_BUDGET_RATIO: 'Retries allowed per upstream call over time, per provider (default 0.5)',
  RETRY_BUDGET_RESERVE: 'Retries always available per provider (default 10)',
  BREAKER_FAILURE_RATE: 'Failure share over the window that opens a provider\'s circuit (default 0.5)',
  BREAKER_WINDOW_MS: 'Circuit breaker sampling window (default 10000)',
  BREAKER_MIN_CALLS_PER_SECOND: 'Call rate below which the circuit does not open (default 1)',
  BREAKER_HALF_OPEN_AFTER_MS: 'Time the circuit stays open before a probe (default 5000)',
  BULKHEAD_MAX_CONCURRENT: 'Calls in flight per provider (default 32)',
  BULKHEAD_MAX_QUEUED: 'Calls waiting for a slot per provider before UPSTREAM_UNAVAILABLE (default 1000)',
  QUOTA_MAX_WAIT_MS: 'Longest a call waits for provider budget before UPSTREAM_RATE_LIMITED (default 3000)',
  UPSTREAM_REPORT: 'true/false: add extensions.upstream to responses (default true embedded, false remote)',
  GRAPHQL_EXECUTOR: 'jit/graphql-js: jit (default) compiles a query with graphql-jit once it repeats; graphql-js interprets every operation',
  SIM_LATENCY_MS: 'Embedded mode only: latency the simulators add to each answer (default 0)',
  CACHE_ENABLED: 'true/false: the shared entity cache (default true; false answers every request cold)',
  REDIS_URL: 'redis://… to share the entity cache and the provider quotas between instances (default: in-process)',
  REDIS_CLUSTER_NODES: 'host:port,host:port… seed nodes of a Redis Cluster, instead of REDIS_URL (keys are hash-tagged per provider and tenant)',
  CACHE_KEY_PREFIX: 'Prefix of every cache and quota key in Redis (default tributary)',
  CACHE_MAX_ENTRIES: 'Entities kept by the in-process store, least recently used first out (default 50000)',
  CACHE_MAX_BYTES: 'Estimated heap bytes (keys included) the in-process entity store keeps, least recently used first out (default 67108864)',
  RESULT_CACHE_MAX_BYTES: 'Bytes of whole answers replayed while their data is fresh, keys included (default 16777216; 0 turns it off)',
  CACHE_POLICY: 'Freshness overrides, resource=ttl[/swr[/maxStale]] in seconds, comma separated',
  REDIS_TIMEOUT_MS: 'Longest a Redis command or probe may take before it counts as failed and the caller falls back to in-process (default 100)',
  REDIS_PROBE_INTERVAL_MS: 'While Redis is down, the pause between PINGs that check whether it is back (default 250)',
  QUOTA_FALLBACK_SHARE: 'Share of each quota one instance spends alone while Redis is away, 0–1 (default 0.5)',
  TENANTS_FILE: 'YAML or JSON file of tenants, each with its own provider accounts, budgets and limits (selects remote mode)',
  DEFAULT_TENANT_ID: 'Tenant id of the accounts the provider variables configure (default `default`; `sample` in embedded mode)',
  API_KEYS_FILE: 'YAML or JSON file of API keys (their SHA-256 only) with each key\'s client, tenant and scopes',
  JWT_JWKS_URL: 'JWKS URL of the issuer whose JWTs are accepted as bearer credentials',
  JWT_PUBLIC_KEY_FILE: 'PEM public key (SPKI or certificate) that signs accepted JWTs, instead of JWT_JWKS_URL',
  JWT_ISSUER: 'Required `iss` of accepted JWTs (required with JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE)',
  JWT_AUDIENCE: 'Required `aud` of accepted JWTs (required with JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE)',
  JWT_ALGORITHMS: 'Accepted JWT algorithms, comma separated (default RS256,PS256,ES256,EdDSA)',
  JWT_CLOCK_SKEW_SECONDS: 'Clock difference tolerated on exp and nbf, 0–300 (default 30)',
  JWT_TENANT_CLAIM: 'Claim that names the tenant (default tenant)',
  JWT_CLIENT_CLAIM: 'Claim that names the client; azp, then sub, when absent (default client_id)',
  HTTP_HEADERS_TIMEOUT_MS: 'Time a client has to send a request\'s headers before the socket is closed (default 10000)',
  HTTP_REQUEST_TIMEOUT_MS: 'Time a client has to send a whole request, body included, before the socket is closed (default 30000; at least HTTP_HEADERS_TIMEOUT_MS)',
  HTTP_KEEP_ALIVE_TIMEOUT_MS: 'Idle time before a kept-alive connection is closed; above the load balancer\'s idle timeout (default 72000)',
  CORS_ORIGINS: 'Comma-separated origins (https://app.example.com) allowed to call /graphql from a browser, or * (default none: no CORS headers)',
  CORS_CREDENTIALS: 'true/false: allow cookies and Authorization on cross-origin requests; refused with CORS_ORIGINS=* (default false)',
  TRUSTED_DOCUMENTS: 'off (default), allow (unlisted operations run and are logged once per hash) or enforce (only listed operations run)',
  TRUSTED_DOCUMENTS_FILE: 'Apollo persisted query manifest (JSON) of the trusted operations; `npm run trusted-documents` builds one',
  CLIENT_RATE_LIMIT_REQUESTS: 'Requests one client may make per rate-limit window, then HTTP 429 RATE_LIMITED (default 600; 0 unlimited)',
  CLIENT_RATE_LIMIT_COST: 'Operation cost units one client may spend per window (default 100000; 0 unlimited)',
  TENANT_RATE_LIMIT_REQUESTS: 'Requests all clients of one tenant may make together per window (default 3000; 0 unlimited)',
  TENANT_RATE_LIMIT_COST: 'Operation cost units all clients of one tenant may spend together per window (default 500000; 0 unlimited)',
  RATE_LIMIT_WINDOW_MS: 'Window of the client and tenant rate limits, whole seconds in ms (default 60000)',
  MAX_REQUEST_BYTES: 'Largest HTTP request body; a larger one gets 413 REQUEST_TOO_LARGE (default 1048576)',
  MAX_QUERY_BYTES: 'Largest GraphQL document, in UTF-8 bytes (default 16384)',
  MAX_QUERY_TOKENS: 'Most lexical tokens in a GraphQL document (default 1000)',
  MAX_QUERY_DEPTH: 'Deepest field nesting of an operation (default 10; Customer 360 needs 8)',
  MAX_QUERY_ALIASES: 'Most aliases in an operation (default 15)',
  MAX_ROOT_FIELDS: 'Most fields at the root of an operation (default 10)',
  MAX_QUERY_DIRECTIVES: 'Most directives in an operation (default 50)',
  MAX_QUERY_COST: 'Highest estimated cost (upstream calls + objects) of an operation (default 5000; Customer 360 with first: 50 is about 2200)',
  MAX_STRING_ARGUMENT_LENGTH: 'Longest String or ID argument value, literal or variable, in characters (default 1024)',
  MAX_VARIABLES_DEPTH: 'Deepest nesting of lists and objects in an operation\'s variables (default 10)',
  STRIPE_WEBHOOK_SECRETS: 'Stripe endpoint signing secrets whsec_…, comma separated during a rotation (or STRIPE_WEBHOOK_SECRETS_FILE); enables POST /webhooks/stripe',
  HUBSPOT_WEBHOOK_SECRETS: 'HubSpot app client secrets that sign webhooks (v3), comma separated (or HUBSPOT_WEBHOOK_SECRETS_FILE; default HUBSPOT_CLIENT_SECRET); enables POST /webhooks/hubspot',
  CUSTOMERS_WEBHOOK_SECRETS: 'Customer service Standard Webhooks secrets whsec_<base64>, comma separated (or CUSTOMERS_WEBHOOK_SECRETS_FILE); enables POST /webhooks/customers',
  WEBHOOK_PUBLIC_URL: 'The gateway\'s base URL as providers post to it (https://gw.example.com), for HubSpot\'s signature over the full URI (default: the request\'s scheme and Host)',
  WEBHOOK_MAX_BYTES: 'Largest webhook body, refused with 413 before it is read whole (default 1048576)',
  EVENTS_MAX_ATTEMPTS: 'Attempts to handle an event before it becomes a dead letter (default 8)',
  EVENTS_RETRY_BASE_MS: 'Full-jitter backoff base between attempts to handle an event (default 1000)',
  EVENTS_RETRY_MAX_MS: 'Full-jitter backoff cap between attempts (default 60000)',
  EVENTS_CLAIM_IDLE_MS: 'Time an event may stay with a consumer that does not finish it (a dead instance) before another instance takes it over; above EVENTS_RETRY_MAX_MS (default 120000)',
  IDEMPOTENCY_TTL_SECONDS: 'How long a mutation\'s Idempotency-Key and its answer are kept for replay (default 86400: 24 h)',
  WRITES_MAX_ATTEMPTS: 'Attempts to send a deferred write (allowDeferred) before it becomes a dead letter; refusals by an open circuit count too (default 30: about 12 minutes of outage on average with the default backoff)',
  WRITES_RETRY_BASE_MS: 'Full-jitter backoff base between attempts to send a deferred write (default 1000)',
  WRITES_RETRY_MAX_MS: 'Full-jitter backoff cap between attempts to send a deferred write; below EVENTS_CLAIM_IDLE_MS (default 60000, or just below a shorter EVENTS_CLAIM_IDLE_MS)',
  WRITES_RECORD_TTL_SECONDS: 'How long a deferred write\'s status stays readable with writeStatus (default 604800: 7 days)',
  EVENTS_DEDUPE_TTL_SECONDS: 'How long event ids are remembered to refuse duplicates and replays (default 345600: 4 days, Stripe retries for 3)',
  SUBSCRIPTIONS_MAX_PER_CONNECTION: 'Subscriptions one WebSocket connection may hold at once (default 100)',
  SUBSCRIPTIONS_MAX_BUFFERED_BYTES: 'Bytes waiting to be sent on one WebSocket connection past which it is closed as too slow, code 4008 (default 1048576)',
  SUBSCRIPTIONS_PING_INTERVAL_MS: 'Between WebSocket pings; a connection that missed the previous pong is then terminated (default 30000)',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'OTLP/HTTP base URL (http://collector:4318); traces go to its /v1/traces. Unset (and no OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): no tracing at all',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'OTLP/HTTP traces URL, used as is (http://collector:4318/v1/traces); wins over OTEL_EXPORTER_OTLP_ENDPOINT',
  OTEL_SERVICE_NAME: 'service.name of the spans (default tributary); the other OTEL_* variables (sampler, resource attributes, exporter headers, batching) are read by the OpenTelemetry SDK itself',
  OTEL_SDK_DISABLED: '`true` turns tracing off whatever endpoint is set (default false)',
  METRICS: 'on/off: serve Prometheus metrics at GET /metrics (default on)',
  METRICS_TOKEN: 'Bearer token a scrape of /metrics must send (or METRICS_TOKEN_FILE; at least 16 characters); also the operator\'s key to every tenant on /ops. With client auth or in production, /metrics answers 403 without it or METRICS_PORT',
  METRICS_PORT: 'Serve /metrics on this port of METRICS_HOST only, apart from /graphql (default: beside /graphql on PORT)',
  METRICS_HOST: 'Interface the METRICS_PORT server listens on (default 127.0.0.1: reachable from this host only)',
  METRICS_MAX_OPERATIONS: 'Distinct operation names labelled by name in the metrics; later ones count as `other` (default 100)',
  EXPLORER: 'What a browser opening /graphql gets: local (GraphiQL served from the gateway\'s own files, works offline), apollo (Apollo Sandbox from its CDN) or off (default local; off in production unless set)',
  COMPRESSION: 'on/off: compress answers with brotli or gzip, as the client\'s Accept-Encoding allows (default on)',
  COMPRESSION_THRESHOLD_BYTES: 'Smallest answer that is compressed (default 1024)',
  APQ: 'on/off: automatic persisted queries, their documents kept in the entity cache\'s store, Redis when configured, shared by every instance (default on; off when TRUSTED_DOCUMENTS=enforce)',
  APQ_TTL_SECONDS: 'How long a registered persisted query is kept after its last registration (default 86400: 24 h)',
} as const;

const PROVIDER_VARIABLES = [
  'CUSTOMERS_API_URL', 'CUSTOMERS_API_TOKEN', 'STRIPE_API_URL', 'STRIPE_SECRET_KEY', 'HUBSPOT_API_URL', 'HUBSPOT_ACCESS_TOKEN',
  'HUBSPOT_CLIENT_ID', 'HUBSPOT_CLIENT_SECRET', 'HUBSPOT_REFRESH_TOKEN',
];
const HUBSPOT_OAUTH = ['HUBSPOT_CLIENT_ID', 'HUBSPOT_CLIENT_SECRET', 'HUBSPOT_REFRESH_TOKEN'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * All configuration, read from the environment once at start and validated here. Every key, its
 * default and its meaning is listed in CONFIG_KEYS (and in the README's table). A bad value stops
 * start-up with a ConfigError that names the variable; secret values never appear in messages.
 */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const singleTenant = PROVIDER_VARIABLES.some((name) => present(env, name) || present(env, `${name}_FILE`));
  const remote = singleTenant || present(env, 'TENANTS_FILE');
  const providers = singleTenant ? remoteProviders(env) : undefined;
  const stripeAuth = providers?.stripe.auth;
  const liveStripeKey = stripeAuth?.kind === 'bearer' && /^(sk|rk)_live_/.test(stripeAuth.token);
  const config: GatewayConfig = {
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: env['HOST']?.trim() || '0.0.0.0',
    production: env['NODE_ENV'] === 'production',
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logs: {
      accessLog: oneOf(env, 'ACCESS_LOG', ['on', 'off'] as const, 'on') === 'on',
      redactFields: redactFields(env, 'LOG_REDACT_FIELDS'),
    },
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 0, 0, 600_000),
    mode: remote ? 'remote' : 'embedded',
    upstreamReport: boolean(env, 'UPSTREAM_REPORT', !remote),
    executor: oneOf(env, 'GRAPHQL_EXECUTOR', ['jit', 'graphql-js'] as const, 'jit'),
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 2000, 1, 600_000),
    resilience: {
      operationDeadlineMs: integer(env, 'OPERATION_DEADLINE_MS', 5000, 1, 600_000),
      retry: {
        maxAttempts: integer(env, 'RETRY_MAX_ATTEMPTS', 3, 1, 10),
        baseDelayMs: integer(env, 'RETRY_BASE_DELAY_MS', 50, 0, 60_000),
        maxDelayMs: integer(env, 'RETRY_MAX_DELAY_MS', 1000, 0, 600_000),
        budgetRatio: number(env, 'RETRY_BUDGET_RATIO', 0.5, 0, 10),
        budgetReserve: integer(env, 'RETRY_BUDGET_RESERVE', 10, 0, 1_000_000),
      },
      breaker: {
        failureRate: openFraction(env, 'BREAKER_FAILURE_RATE', 0.5),
        windowMs: integer(env, 'BREAKER_WINDOW_MS', 10_000, 100, 3_600_000),
        minCallsPerSecond: number(env, 'BREAKER_MIN_CALLS_PER_SECOND', 1, 0, 1e6),
        halfOpenAfterMs: integer(env, 'BREAKER_HALF_OPEN_AFTER_MS', 5000, 1, 3_600_000),
      },
      bulkhead: {
        maxConcurrent: integer(env, 'BULKHEAD_MAX_CONCURRENT', 32, 1, 10_000),
        maxQueued: integer(env, 'BULKHEAD_MAX_QUEUED', 1000, 0, 1_000_000),
      },
    },
    quotaMaxWaitMs: integer(env, 'QUOTA_MAX_WAIT_MS', 3000, 0, 600_000),
    simLatencyMs: integer(env, 'SIM_LATENCY_MS', 0, 0, 60_000),
    stripeApiVersion: env['STRIPE_API_VERSION']?.trim() || '2025-02-24.acacia',
    stripeChargesRead: oneOf(env, 'STRIPE_CHARGES_READ', ['list', 'search'] as const, 'list'),
    hubspotDefaultCurrency: currency(env, 'HUBSPOT_DEFAULT_CURRENCY', 'USD'),
    cache: {
      enabled: boolean(env, 'CACHE_ENABLED', true),
      ...redisTarget(env),
      keyPrefix: keyPrefix(env, 'CACHE_KEY_PREFIX', 'tributary'),
      maxEntries: integer(env, 'CACHE_MAX_ENTRIES', 50_000, 1, 10_000_000),
      maxBytes: integer(env, 'CACHE_MAX_BYTES', 64 * 1024 * 1024, 1024, 16 * 1024 ** 3),
      resultMaxBytes: integer(env, 'RESULT_CACHE_MAX_BYTES', 16 * 1024 * 1024, 0, 4 * 1024 ** 3),
      policyOverrides: cachePolicy(env, 'CACHE_POLICY'),
    },
    redisTimeoutMs: integer(env, 'REDIS_TIMEOUT_MS', 100, 1, 60_000),
    redisProbeIntervalMs: integer(env, 'REDIS_PROBE_INTERVAL_MS', 250, 10, 60_000),
    quotaFallbackShare: fraction(env, 'QUOTA_FALLBACK_SHARE', 0.5),
    rateLimits: {
      customers: rateLimit(env, 'CUSTOMERS', 100, 1000),
      // The embedded simulator's key is a test key, so it gets test mode's limit too.
      stripe: rateLimit(env, 'STRIPE', liveStripeKey ? 100 : 25, 1000),
      hubspot: rateLimit(env, 'HUBSPOT', 100, 10_000),
    },
    clientRateLimits: {
      clientRequests: integer(env, 'CLIENT_RATE_LIMIT_REQUESTS', 600, 0, 10_000_000),
      clientCost: integer(env, 'CLIENT_RATE_LIMIT_COST', 100_000, 0, 10_000_000),
      tenantRequests: integer(env, 'TENANT_RATE_LIMIT_REQUESTS', 3000, 0, 10_000_000),
      tenantCost: integer(env, 'TENANT_RATE_LIMIT_COST', 500_000, 0, 10_000_000),
      windowMs: wholeSeconds(env, 'RATE_LIMIT_WINDOW_MS', 60_000),
    },
    ...(providers ? { providers } : {}),
    defaultTenantId: tenantId(env, 'DEFAULT_TENANT_ID', remote ? 'default' : 'sample'),
    tenants: [],
    clientAuth: {},
    http: httpConfig(env),
    trustedDocuments: trustedDocuments(env),
    limits: operationLimits(env),
    events: eventsConfig(env),
    writes: writesConfig(env),
    webhookSecrets: webhookSecrets(env),
    subscriptions: subscriptionSettings(env),
    tracing: tracingConfig(env),
    metrics: metricsConfig(env),
    explorer: oneOf(env, 'EXPLORER', ['local', 'apollo', 'off'] as const, env['NODE_ENV'] === 'production' ? 'off' : 'local'),
    compression: {
      enabled: oneOf(env, 'COMPRESSION', ['on', 'off'] as const, 'on') === 'on',
      thresholdBytes: integer(env, 'COMPRESSION_THRESHOLD_BYTES', 1024, 0, 100 * 1024 * 1024),
    },
    apq: {
      enabled: oneOf(env, 'APQ', ['on', 'off'] as const, 'on') === 'on',
      ttlSeconds: integer(env, 'APQ_TTL_SECONDS', 86_400, 1, 31_536_000),
    },
  };
  config.tenants = present(env, 'TENANTS_FILE')
    ? loadTenantsFile(env['TENANTS_FILE']!.trim(), (live) => ({
        customers: { limit: 100, windowMs: 1000 },
        stripe: { limit: live ? 100 : 25, windowMs: 1000 },
        hubspot: { limit: 100, windowMs: 10_000 },
      }))
    : [];
  const tenantIds = [...(remote && !providers ? [] : [config.defaultTenantId]), ...config.tenants.map((tenant) => tenant.id)];
  if (new Set(tenantIds).size !== tenantIds.length) {
    throw new ConfigError('TENANTS_FILE', `tenant "${config.defaultTenantId}" is already the one the provider variables configure (DEFAULT_TENANT_ID); rename one`);
  }
  config.clientAuth = clientAuth(env, tenantIds);
  const authenticated = config.clientAuth.apiKeys !== undefined || config.clientAuth.jwt !== undefined;
  if (!authenticated && config.production) {
    throw new ConfigError('API_KEYS_FILE', 'NODE_ENV=production needs client authentication: set API_KEYS_FILE, or JWT_JWKS_URL (or JWT_PUBLIC_KEY_FILE) with JWT_ISSUER and JWT_AUDIENCE');
  }
  const webhookTenants = [
    ...(remote && !providers ? [] : [{ id: config.defaultTenantId, webhookSecrets: config.webhookSecrets }]),
    ...config.tenants.map((tenant) => ({ id: tenant.id, webhookSecrets: tenant.webhookSecrets })),
  ];
  checkWebhookSecrets(webhookTenants, config);
  if (!authenticated && tenantIds.length > 1) {
    throw new ConfigError('API_KEYS_FILE', `${tenantIds.length} tenants are configured: set API_KEYS_FILE or JWT_* so that requests can say which tenant they are for`);
  }
  return config;
}

function clientAuth(env: Env, tenants: string[]): GatewayConfig['clientAuth'] {
  const auth: GatewayConfig['clientAuth'] = {};
  if (present(env, 'API_KEYS_FILE')) auth.apiKeys = loadApiKeysFile(env['API_KEYS_FILE']!.trim(), tenants);
  const jwks = present(env, 'JWT_JWKS_URL');
  const keyFile = present(env, 'JWT_PUBLIC_KEY_FILE');
  if (jwks && keyFile) throw new ConfigError('JWT_JWKS_URL', 'set either JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE, not both');
  const jwtVariables = ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_ALGORITHMS', 'JWT_CLOCK_SKEW_SECONDS', 'JWT_TENANT_CLAIM', 'JWT_CLIENT_CLAIM'];
  if (!jwks && !keyFile) {
    const stray = jwtVariables.find((name) => present(env, name));
    if (stray) throw new ConfigError(stray, 'has no effect without JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE');
    return auth;
  }
  const required = (name: string) => {
    const value = env[name]?.trim();
    if (!value) throw new ConfigError(name, 'is required to accept JWTs');
    return value;
  };
  const algorithms = (env['JWT_ALGORITHMS']?.trim() || 'RS256,PS256,ES256,EdDSA').split(',').map((alg) => alg.trim());
  const bad = algorithms.find((alg) => !/^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/.test(alg));
  if (bad !== undefined) throw new ConfigError('JWT_ALGORITHMS', `only asymmetric algorithms (RS*, PS*, ES*, EdDSA) are accepted, got ${JSON.stringify(bad)}`);
  auth.jwt = {
    ...(jwks ? { jwksUrl: url(env, 'JWT_JWKS_URL') } : { publicKeyPem: publicKeyPem(env, 'JWT_PUBLIC_KEY_FILE') }),
    issuer: required('JWT_ISSUER'),
    audience: required('JWT_AUDIENCE'),
    algorithms,
    clockSkewSeconds: integer(env, 'JWT_CLOCK_SKEW_SECONDS', 30, 0, 300),
    tenantClaim: env['JWT_TENANT_CLAIM']?.trim() || 'tenant',
    clientClaim: env['JWT_CLIENT_CLAIM']?.trim() || 'client_id',
  };
  return auth;
}

function publicKeyPem(env: Env, name: string): string {
  const path = env[name]!.trim();
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(name, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  // createPublicKey would also derive a public key from a private one: refuse to hold a private key at all.
  if (/PRIVATE KEY-----/.test(pem)) throw new ConfigError(name, `${path} holds a private key; give the public key only`);
  try {
    const key = createPublicKey(pem);
    if (key.type !== 'public') throw new Error('not a public key');
  } catch {
    throw new ConfigError(name, `${path} is not a PEM public key or certificate`);
  }
  return pem;
}

function tenantId(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!TENANT_ID.test(raw)) throw new ConfigError(name, `must be 1–63 lower-case letters, digits, - or _, got ${JSON.stringify(raw)}`);
  return raw;
}

function httpConfig(env: Env): HttpConfig {
  const headersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 1, 600_000);
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1, 3_600_000);
  // Node refuses a headers timeout above the request timeout.
  if (requestTimeoutMs < headersTimeoutMs) throw new ConfigError('HTTP_REQUEST_TIMEOUT_MS', `must be at least HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs})`);
  const origins = (env['CORS_ORIGINS'] ?? '').split(',').map((origin) => origin.trim()).filter((origin) => origin !== '');
  for (const origin of origins) {
    if (origin === '*' ? origins.length > 1 : !isOrigin(origin)) {
      throw new ConfigError('CORS_ORIGINS', `must be * alone or a comma-separated list of origins like https://app.example.com, got ${JSON.stringify(origin)}`);
    }
  }
  const credentials = boolean(env, 'CORS_CREDENTIALS', false);
  // Browsers refuse credentialed answers with `Access-Control-Allow-Origin: *` (Fetch §3.2.5);
  // reflecting any origin instead would hand every site the user's session.
  if (credentials && origins.includes('*')) throw new ConfigError('CORS_CREDENTIALS', 'cannot be true with CORS_ORIGINS=*; list the origins');
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1, 600_000),
    cors: { origins, credentials },
  };
}

function isOrigin(raw: string): boolean {
  try {
    const parsed = new URL(raw);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === raw;
  } catch {
    return false;
  }
}

function trustedDocuments(env: Env): GatewayConfig['trustedDocuments'] {
  const mode = oneOf(env, 'TRUSTED_DOCUMENTS', ['off', 'allow', 'enforce'] as const, 'off');
  if (mode === 'off') return { mode, operations: [] };
  const file = env['TRUSTED_DOCUMENTS_FILE']?.trim();
  if (!file) throw new ConfigError('TRUSTED_DOCUMENTS_FILE', `is required when TRUSTED_DOCUMENTS is ${mode}`);
  let operations: TrustedOperation[];
  try {
    operations = readTrustedManifest(file).operations;
  } catch (error) {
    throw new ConfigError('TRUSTED_DOCUMENTS_FILE', (error as Error).message);
  }
  if (operations.length === 0) throw new ConfigError('TRUSTED_DOCUMENTS_FILE', `${file} lists no operation`);
  return { mode, operations };
}

function operationLimits(env: Env): OperationLimits {
  const d = LIMIT_DEFAULTS;
  return {
    maxRequestBytes: integer(env, 'MAX_REQUEST_BYTES', d.maxRequestBytes, 1024, 1024 ** 3),
    maxQueryBytes: integer(env, 'MAX_QUERY_BYTES', d.maxQueryBytes, 1, 1024 ** 3),
    maxTokens: integer(env, 'MAX_QUERY_TOKENS', d.maxTokens, 1, 1e7),
    maxDepth: integer(env, 'MAX_QUERY_DEPTH', d.maxDepth, 1, 1000),
    maxAliases: integer(env, 'MAX_QUERY_ALIASES', d.maxAliases, 0, 1e6),
    maxRootFields: integer(env, 'MAX_ROOT_FIELDS', d.maxRootFields, 1, 1e6),
    maxDirectives: integer(env, 'MAX_QUERY_DIRECTIVES', d.maxDirectives, 0, 1e6),
    maxCost: integer(env, 'MAX_QUERY_COST', d.maxCost, 1, 1e12),
    maxStringLength: integer(env, 'MAX_STRING_ARGUMENT_LENGTH', d.maxStringLength, 1, 1024 ** 3),
    maxVariablesDepth: integer(env, 'MAX_VARIABLES_DEPTH', d.maxVariablesDepth, 1, 10_000),
  };
}

function subscriptionSettings(env: Env): SubscriptionSettings {
  const d = SUBSCRIPTION_DEFAULTS;
  return {
    maxPerConnection: integer(env, 'SUBSCRIPTIONS_MAX_PER_CONNECTION', d.maxPerConnection, 1, 100_000),
    maxBufferedBytes: integer(env, 'SUBSCRIPTIONS_MAX_BUFFERED_BYTES', d.maxBufferedBytes, 1024, 1024 ** 3),
    pingIntervalMs: integer(env, 'SUBSCRIPTIONS_PING_INTERVAL_MS', d.pingIntervalMs, 1000, 3_600_000),
  };
}

function remoteProviders(env: Env): Record<ProviderName, ProviderEndpoint> {
  const stripeKey = secret(env, 'STRIPE_SECRET_KEY');
  if (!/^(sk|rk)_(test|live)_\w+$/.test(stripeKey)) {
    throw new ConfigError('STRIPE_SECRET_KEY', 'must be a Stripe secret or restricted key (sk_test_…, sk_live_…)');
  }
  const hubspotUrl = url(env, 'HUBSPOT_API_URL', 'https://api.hubapi.com');
  return {
    customers: { url: url(env, 'CUSTOMERS_API_URL'), auth: { kind: 'bearer', token: secret(env, 'CUSTOMERS_API_TOKEN') } },
    stripe: { url: url(env, 'STRIPE_API_URL', 'https://api.stripe.com'), auth: { kind: 'bearer', token: stripeKey } },
    hubspot: { url: hubspotUrl, auth: hubspotAuth(env, hubspotUrl) },
  };
}

/** A private app token, or the OAuth refresh-token flow: exactly one of the two. */
function hubspotAuth(env: Env, apiUrl: string): AuthConfig {
  const oauth = HUBSPOT_OAUTH.some((name) => present(env, name) || present(env, `${name}_FILE`));
  const token = present(env, 'HUBSPOT_ACCESS_TOKEN') || present(env, 'HUBSPOT_ACCESS_TOKEN_FILE');
  if (oauth && token) throw new ConfigError('HUBSPOT_ACCESS_TOKEN', 'set either a private app token or HUBSPOT_CLIENT_ID/SECRET/REFRESH_TOKEN, not both');
  if (!oauth) return { kind: 'bearer', token: secret(env, 'HUBSPOT_ACCESS_TOKEN') };
  const clientId = env['HUBSPOT_CLIENT_ID']?.trim();
  if (!clientId) throw new ConfigError('HUBSPOT_CLIENT_ID', 'is required for HubSpot OAuth');
  return {
    kind: 'oauth-refresh',
    tokenUrl: new URL('/oauth/v1/token', apiUrl).toString(),
    clientId,
    clientSecret: secret(env, 'HUBSPOT_CLIENT_SECRET'),
    refreshToken: secret(env, 'HUBSPOT_REFRESH_TOKEN'),
  };
}

function number(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || value < min || value > max) throw new ConfigError(name, `must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Stripe documents 100 req/s live and 25 req/s test; HubSpot 100 per 10 s on Free/Starter. */
function rateLimit(env: Env, prefix: string, limit: number, windowMs: number): RateLimit {
  return {
    limit: integer(env, `${prefix}_RATE_LIMIT`, limit, 1, 1e6),
    windowMs: integer(env, `${prefix}_RATE_WINDOW_MS`, windowMs, 1, 86_400_000),
  };
}

function redisUrl(env: Env, name: string): string {
  const raw = env[name]?.trim() ?? '';
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  // The value may hold a password: never echo it.
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) throw new ConfigError(name, 'must be a redis:// or rediss:// URL');
  return raw;
}

/** REDIS_URL or REDIS_CLUSTER_NODES: one Redis or one cluster, never both. */
function redisTarget(env: Env): { redisUrl?: string; redisClusterNodes?: string[] } {
  const url = present(env, 'REDIS_URL');
  const cluster = present(env, 'REDIS_CLUSTER_NODES');
  if (url && cluster) throw new ConfigError('REDIS_CLUSTER_NODES', 'set either REDIS_URL or REDIS_CLUSTER_NODES, not both');
  if (url) return { redisUrl: redisUrl(env, 'REDIS_URL') };
  if (cluster) return { redisClusterNodes: clusterNodes(env, 'REDIS_CLUSTER_NODES') };
  return {};
}

function clusterNodes(env: Env, name: string): string[] {
  const nodes = (env[name] ?? '').split(',').map((node) => node.trim());
  for (const node of nodes) {
    const match = /^([\w.-]+|\[[\da-fA-F:]+\]):(\d{1,5})$/.exec(node);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw new ConfigError(name, `must be a comma-separated list of host:port, got ${JSON.stringify(node)}`);
    }
  }
  return nodes;
}

function keyPrefix(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^[\w.-]{1,64}$/.test(raw)) throw new ConfigError(name, `must be 1–64 letters, digits, '.', '_' or '-', got ${JSON.stringify(raw)}`);
  return raw;
}

function fraction(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || value <= 0 || value > 1) throw new ConfigError(name, `must be a number above 0 and at most 1, got ${JSON.stringify(raw)}`);
  return value;
}

function openFraction(env: Env, name: string, fallback: number): number {
  const value = fraction(env, name, fallback);
  if (value >= 1) throw new ConfigError(name, `must be above 0 and below 1, got ${JSON.stringify(env[name])}`);
  return value;
}

function cachePolicy(env: Env, name: string): string {
  const raw = env[name]?.trim() ?? '';
  try {
    parsePolicyOverrides(raw);
  } catch (error) {
    throw new ConfigError(name, (error as Error).message);
  }
  return raw;
}

function present(env: Env, name: string): boolean {
  return (env[name]?.trim() ?? '') !== '';
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** Milliseconds that are whole seconds: RateLimit-Policy states its window in seconds. */
function wholeSeconds(env: Env, name: string, fallback: number): number {
  const value = integer(env, name, fallback, 1000, 86_400_000);
  if (value % 1000 !== 0) throw new ConfigError(name, `must be whole seconds in ms (a multiple of 1000), got ${JSON.stringify(env[name])}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(env[name])}`);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

const DEFAULT_REDACT_FIELDS = ['email', 'name', 'firstname', 'lastname', 'phone'];

function redactFields(env: Env, name: string): string[] {
  const raw = env[name]?.trim();
  if (!raw) return DEFAULT_REDACT_FIELDS;
  if (raw.toLowerCase() === 'none') return [];
  const fields = raw.split(',').map((field) => field.trim().toLowerCase()).filter((field) => field !== '');
  const bad = fields.find((field) => !/^[a-z0-9_-]{1,64}$/.test(field));
  if (bad !== undefined || fields.length === 0) throw new ConfigError(name, `must be none or a comma-separated list of field names (letters, digits, _ or -), got ${JSON.stringify(bad ?? raw)}`);
  return fields;
}

function currency(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^[A-Za-z]{3}$/.test(raw)) throw new ConfigError(name, `must be an ISO 4217 currency code, got ${JSON.stringify(raw)}`);
  return raw.toUpperCase();
}

/**
 * Where spans go, by the OpenTelemetry exporter spec: the traces endpoint as is, else the base
 * endpoint with `v1/traces` appended. OTEL_SDK_DISABLED=true wins over both.
 */
function tracingConfig(env: Env): GatewayConfig['tracing'] {
  if (boolean(env, 'OTEL_SDK_DISABLED', false)) return {};
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(name, `must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(name, `must be an http or https URL (OTLP/HTTP), got ${JSON.stringify(parsed.protocol)}`);
    // Not echoed: a collector's URL may carry a token; headers belong in OTEL_EXPORTER_OTLP_HEADERS.
    if (parsed.username || parsed.password) throw new ConfigError(name, 'must not carry credentials; use OTEL_EXPORTER_OTLP_HEADERS');
    if (name === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') return { tracesUrl: raw };
    return { tracesUrl: `${raw.replace(/\/+$/, '')}/v1/traces` };
  }
  return {};
}

function url(env: Env, name: string, fallback?: string): string {
  const raw = env[name]?.trim() || fallback;
  if (!raw) throw new ConfigError(name, 'is required when any provider is configured (remote mode)');
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http or https URL, got ${JSON.stringify(raw)}`);
  }
  if (parsed.username || parsed.password) throw new ConfigError(name, 'must not carry credentials; use the token variable');
  return raw;
}

/** A secret from `NAME`, or from the file `NAME_FILE` points to (container secret managers). */
/**
 * A secret names its tenant when a delivery's path does not: two tenants with one secret would
 * have one's events applied to the other's data. And in production, events acknowledged to a
 * provider must outlive the process: the in-process log would lose them on a restart.
 */
function checkWebhookSecrets(tenants: ReadonlyArray<{ id: string; webhookSecrets: WebhookSecrets }>, config: GatewayConfig): void {
  const owner = new Map<string, string>();
  for (const tenant of tenants) {
    for (const [provider, secrets] of Object.entries(tenant.webhookSecrets)) {
      for (const secret of secrets ?? []) {
        const other = owner.get(`${provider}\n${secret}`);
        if (other !== undefined && other !== tenant.id) {
          throw new ConfigError('TENANTS_FILE', `tenants "${other}" and "${tenant.id}" share a ${provider} webhook secret: each tenant needs its own, or events of one would change the other's data`);
        }
        owner.set(`${provider}\n${secret}`, tenant.id);
      }
    }
  }
  const webhooks = tenants.some((tenant) => Object.values(tenant.webhookSecrets).some((secrets) => (secrets?.length ?? 0) > 0));
  if (webhooks && config.production && !config.cache.redisUrl && !config.cache.redisClusterNodes) {
    throw new ConfigError('REDIS_URL', 'webhooks are configured in production: their events are stored before they are acknowledged, which needs Redis (with an append-only file and maxmemory-policy noeviction); set REDIS_URL or REDIS_CLUSTER_NODES');
  }
}

function metricsConfig(env: Env): MetricsConfig {
  const raw = env['METRICS']?.trim().toLowerCase();
  if (raw && !['on', 'off', 'true', 'false'].includes(raw)) throw new ConfigError('METRICS', `must be on or off, got ${JSON.stringify(env['METRICS'])}`);
  const token = optionalSecret(env, 'METRICS_TOKEN');
  // Compared as a bearer credential: a short one could be guessed, and the value is never echoed.
  if (token !== undefined && token.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  const port = present(env, 'METRICS_PORT') ? integer(env, 'METRICS_PORT', 0, 0, 65535) : undefined;
  if (port !== undefined && port !== 0 && port === integer(env, 'PORT', 4000, 0, 65535)) throw new ConfigError('METRICS_PORT', `must differ from PORT (${port})`);
  return {
    enabled: raw !== 'off' && raw !== 'false',
    ...(token !== undefined ? { token } : {}),
    ...(port !== undefined ? { port } : {}),
    host: env['METRICS_HOST']?.trim() || '127.0.0.1',
    maxOperations: integer(env, 'METRICS_MAX_OPERATIONS', 100, 0, 10_000),
  };
}

function eventsConfig(env: Env): EventsConfig {
  const retryMaxMs = integer(env, 'EVENTS_RETRY_MAX_MS', 60_000, 1, 86_400_000);
  const claimIdleMs = integer(env, 'EVENTS_CLAIM_IDLE_MS', 120_000, 100, 86_400_000);
  // A consumer waiting out its own backoff must not look dead to the others.
  if (claimIdleMs <= retryMaxMs) throw new ConfigError('EVENTS_CLAIM_IDLE_MS', `must be above EVENTS_RETRY_MAX_MS (${retryMaxMs})`);
  const publicUrl = present(env, 'WEBHOOK_PUBLIC_URL') ? url(env, 'WEBHOOK_PUBLIC_URL') : undefined;
  return {
    webhookMaxBytes: integer(env, 'WEBHOOK_MAX_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    ...(publicUrl ? { publicUrl: publicUrl.replace(/\/$/, '') } : {}),
    maxAttempts: integer(env, 'EVENTS_MAX_ATTEMPTS', 8, 1, 100),
    retryBaseMs: integer(env, 'EVENTS_RETRY_BASE_MS', 1000, 0, 3_600_000),
    retryMaxMs,
    claimIdleMs,
    dedupeTtlMs: integer(env, 'EVENTS_DEDUPE_TTL_SECONDS', 4 * 86_400, 60, 30 * 86_400) * 1000,
  };
}

function writesConfig(env: Env): WritesConfig {
  const claimIdleMs = integer(env, 'EVENTS_CLAIM_IDLE_MS', 120_000, 100, 86_400_000);
  // The queue shares the events' take-over rule: a worker waiting out its backoff must not look
  // dead. Left unset, the cap follows a shorter EVENTS_CLAIM_IDLE_MS down; set, it must fit.
  const retryMaxMs = integer(env, 'WRITES_RETRY_MAX_MS', Math.min(60_000, claimIdleMs - 1), 1, 86_400_000);
  if (retryMaxMs >= claimIdleMs) throw new ConfigError('WRITES_RETRY_MAX_MS', `must be below EVENTS_CLAIM_IDLE_MS (${claimIdleMs})`);
  const retryBaseMs = integer(env, 'WRITES_RETRY_BASE_MS', Math.min(1000, retryMaxMs), 0, 3_600_000);
  if (retryBaseMs > retryMaxMs) throw new ConfigError('WRITES_RETRY_BASE_MS', `must not be above WRITES_RETRY_MAX_MS (${retryMaxMs})`);
  return {
    idempotencyTtlMs: integer(env, 'IDEMPOTENCY_TTL_SECONDS', 86_400, 60, 30 * 86_400) * 1000,
    maxAttempts: integer(env, 'WRITES_MAX_ATTEMPTS', 30, 1, 1000),
    retryBaseMs,
    retryMaxMs,
    recordTtlMs: integer(env, 'WRITES_RECORD_TTL_SECONDS', 7 * 86_400, 60, 90 * 86_400) * 1000,
  };
}

/** Each provider's secrets: comma separated (a rotation), inline or from `<NAME>_FILE`. */
function webhookSecrets(env: Env): WebhookSecrets {
  const secrets: WebhookSecrets = {};
  const list = (name: string) => (present(env, name) || present(env, `${name}_FILE`) ? secret(env, name).split(',').map((s) => s.trim()).filter(Boolean) : []);
  const stripe = list('STRIPE_WEBHOOK_SECRETS');
  if (stripe.some((value) => !value.startsWith('whsec_'))) throw new ConfigError('STRIPE_WEBHOOK_SECRETS', 'each secret must be a Stripe endpoint secret (whsec_…)');
  if (stripe.length > 0) secrets.stripe = stripe;
  const hubspot = list('HUBSPOT_WEBHOOK_SECRETS');
  if (hubspot.length > 0) secrets.hubspot = hubspot;
  else if (present(env, 'HUBSPOT_CLIENT_SECRET') || present(env, 'HUBSPOT_CLIENT_SECRET_FILE')) secrets.hubspot = [secret(env, 'HUBSPOT_CLIENT_SECRET')];
  const customers = list('CUSTOMERS_WEBHOOK_SECRETS');
  if (customers.some((value) => !/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/.test(value))) {
    throw new ConfigError('CUSTOMERS_WEBHOOK_SECRETS', 'each secret must be a Standard Webhooks secret (whsec_ followed by base64)');
  }
  if (customers.length > 0) secrets.customers = customers;
  return secrets;
}

/** A secret that may be absent: `name` or `name_FILE`, or undefined when neither is set. */
function optionalSecret(env: Env, name: string): string | undefined {
  return present(env, name) || present(env, `${name}_FILE`) ? secret(env, name) : undefined;
}

function secret(env: Env, name: string): string {
  const direct = env[name]?.trim();
  const file = env[`${name}_FILE`]?.trim();
  if (direct && file) throw new ConfigError(name, `set either ${name} or ${name}_FILE, not both`);
  if (file) {
    let content: string;
    try {
      content = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(`${name}_FILE`, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (!content) throw new ConfigError(`${name}_FILE`, `${file} is empty`);
    return content;
  }
  if (!direct) throw new ConfigError(name, 'is required when any provider is configured (remote mode)');
  return direct;
}
