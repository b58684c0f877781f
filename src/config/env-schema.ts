import { z } from 'zod';
import { LIMIT_DEFAULTS } from '../graphql/limits/operation-limits.ts';
import { SUBSCRIPTION_DEFAULTS } from '../server/subscriptions/subscription-settings.ts';
import type { ConfigProblems } from './config-problems.ts';
import {
  boolean, cachePolicy, clusterNodes, corsOrigins, currency, decimal, fraction, host, httpUrl, integer, jwtAlgorithms, keyPrefix,
  metricsSwitch, oneOf, onOff, openFraction, otlpUrl, redactFields, redisUrl, secret, tenantId, text, wholeSeconds,
} from './env-fields.ts';

/**
 * Every variable the gateway reads, each with its parse, default, bounds and meaning (the README's
 * table follows these descriptions). A default that depends on another variable (Stripe's budget
 * on the key's mode, UPSTREAM_REPORT on the mode) is left undefined here and chosen in loadConfig.
 * Secrets are only declared here (src/config/secrets.ts reads them and their `NAME_FILE`); the
 * rules between variables and the files they name come after this parse (src/config.ts).
 */
export const ENV_SCHEMA = z.object({
  PORT: integer(4000, 0, 65535).describe('HTTP port of the gateway (default 4000)'),
  HOST: host('0.0.0.0').describe('Interface to listen on: an IP address or a host name (default 0.0.0.0)'),
  NODE_ENV: text(undefined).describe('`production` turns the explorer off unless EXPLORER is set, and disables introspection'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info').describe('fatal, error, warn, info (default), debug, trace or silent'),
  ACCESS_LOG: onOff(true).describe('on/off: one info line per request with its id, operation, client, tenant, status, duration and upstream calls (default on; /healthz and /readyz at debug)'),
  LOG_REDACT_FIELDS: redactFields().describe('Fields masked in upstream error bodies that reach the logs, comma separated (default email,name,firstname,lastname,phone; none to disable)'),
  SHUTDOWN_GRACE_MS: integer(0, 0, 600_000).describe('On SIGTERM, how long /readyz answers 503 while requests are still served, before the listener closes (default 0)'),
  CUSTOMERS_API_URL: httpUrl(undefined).describe('Customer service base URL; setting any provider variable selects remote mode'),
  CUSTOMERS_API_TOKEN: secret().describe('Customer service bearer token (or CUSTOMERS_API_TOKEN_FILE)'),
  CUSTOMERS_RATE_LIMIT: integer(100, 1, 1e6).describe('Customer service requests per window (default 100)'),
  CUSTOMERS_RATE_WINDOW_MS: integer(1000, 1, 86_400_000).describe('Customer service rate-limit window (default 1000)'),
  STRIPE_API_URL: httpUrl('https://api.stripe.com').describe('Stripe base URL (default https://api.stripe.com)'),
  STRIPE_SECRET_KEY: secret().describe('Stripe secret key sk_test_… or sk_live_… (or STRIPE_SECRET_KEY_FILE)'),
  STRIPE_API_VERSION: text('2025-02-24.acacia').describe('Pinned Stripe-Version (default 2025-02-24.acacia)'),
  STRIPE_CHARGES_READ: oneOf(['list', 'search'], 'list').describe('list (default: one strongly consistent call per customer) or search (ten customers a call, up to a minute stale; see docs/mapping.md)'),
  STRIPE_RATE_LIMIT: integer(undefined, 1, 1e6).describe('Stripe requests per window (default 25 for test keys, 100 for live keys)'),
  STRIPE_RATE_WINDOW_MS: integer(1000, 1, 86_400_000).describe('Stripe rate-limit window (default 1000)'),
  HUBSPOT_API_URL: httpUrl('https://api.hubapi.com').describe('HubSpot base URL (default https://api.hubapi.com)'),
  HUBSPOT_ACCESS_TOKEN: secret().describe('HubSpot private app token (or HUBSPOT_ACCESS_TOKEN_FILE); or OAuth with the three below'),
  HUBSPOT_CLIENT_ID: text(undefined).describe('HubSpot OAuth app client id'),
  HUBSPOT_CLIENT_SECRET: secret().describe('HubSpot OAuth app client secret (or HUBSPOT_CLIENT_SECRET_FILE)'),
  HUBSPOT_REFRESH_TOKEN: secret().describe('HubSpot OAuth refresh token (or HUBSPOT_REFRESH_TOKEN_FILE)'),
  HUBSPOT_RATE_LIMIT: integer(100, 1, 1e6).describe('HubSpot requests per window (default 100, the Free/Starter limit)'),
  HUBSPOT_RATE_WINDOW_MS: integer(10_000, 1, 86_400_000).describe('HubSpot rate-limit window (default 10000)'),
  HUBSPOT_DEFAULT_CURRENCY: currency('USD').describe('Currency of deals without deal_currency_code (default USD)'),
  UPSTREAM_TIMEOUT_MS: integer(2000, 1, 600_000).describe('Cap on each upstream attempt\'s connect, headers and body timeouts (default 2000)'),
  OPERATION_DEADLINE_MS: integer(5000, 1, 600_000).describe('Deadline of a whole GraphQL operation; no upstream call outlives it (default 5000)'),
  RETRY_MAX_ATTEMPTS: integer(3, 1, 10).describe('Attempts per safe upstream call, the first included (default 3)'),
  RETRY_BASE_DELAY_MS: integer(50, 0, 60_000).describe('Full-jitter backoff base (default 50)'),
  RETRY_MAX_DELAY_MS: integer(1000, 0, 600_000).describe('Full-jitter backoff cap (default 1000)'),
  RETRY_BUDGET_RATIO: decimal(0.5, 0, 10).describe('Retries allowed per upstream call over time, per provider (default 0.5)'),
  RETRY_BUDGET_RESERVE: integer(10, 0, 1_000_000).describe('Retries always available per provider (default 10)'),
  BREAKER_FAILURE_RATE: openFraction(0.5).describe('Failure share over the window that opens a provider\'s circuit (default 0.5)'),
  BREAKER_WINDOW_MS: integer(10_000, 100, 3_600_000).describe('Circuit breaker sampling window (default 10000)'),
  BREAKER_MIN_CALLS_PER_SECOND: decimal(1, 0, 1e6).describe('Call rate below which the circuit does not open (default 1)'),
  BREAKER_HALF_OPEN_AFTER_MS: integer(5000, 1, 3_600_000).describe('Time the circuit stays open before a probe (default 5000)'),
  BULKHEAD_MAX_CONCURRENT: integer(32, 1, 10_000).describe('Calls in flight per provider (default 32)'),
  BULKHEAD_MAX_QUEUED: integer(1000, 0, 1_000_000).describe('Calls waiting for a slot per provider before UPSTREAM_UNAVAILABLE (default 1000)'),
  QUOTA_MAX_WAIT_MS: integer(3000, 0, 600_000).describe('Longest a call waits for provider budget before UPSTREAM_RATE_LIMITED (default 3000)'),
  UPSTREAM_REPORT: boolean(undefined).describe('true/false: add extensions.upstream to responses (default true embedded, false remote)'),
  GRAPHQL_EXECUTOR: oneOf(['jit', 'graphql-js'], 'jit').describe('jit/graphql-js: jit (default) compiles a query with graphql-jit once it repeats; graphql-js interprets every operation'),
  SIM_LATENCY_MS: integer(0, 0, 60_000).describe('Embedded mode only: latency the simulators add to each answer (default 0)'),
  CACHE_ENABLED: boolean(true).describe('true/false: the shared entity cache (default true; false answers every request cold)'),
  REDIS_URL: redisUrl().describe('redis://… to share the entity cache and the provider quotas between instances (default: in-process)'),
  REDIS_CLUSTER_NODES: clusterNodes().describe('host:port,host:port… seed nodes of a Redis Cluster, instead of REDIS_URL (keys are hash-tagged per provider and tenant)'),
  CACHE_KEY_PREFIX: keyPrefix('tributary').describe('Prefix of every cache and quota key in Redis (default tributary)'),
  CACHE_MAX_ENTRIES: integer(50_000, 1, 10_000_000).describe('Entities kept by the in-process store, least recently used first out (default 50000)'),
  CACHE_MAX_BYTES: integer(64 * 1024 * 1024, 1024, 16 * 1024 ** 3).describe('Estimated heap bytes (keys included) the in-process entity store keeps, least recently used first out (default 67108864)'),
  RESULT_CACHE_MAX_BYTES: integer(12 * 1024 * 1024, 0, 4 * 1024 ** 3).describe('Bytes of whole answers replayed while their data is fresh (and built again before they expire while read), keys included, answers of 16 KiB or more counted compressed (default 12582912; 0 turns it off)'),
  SHARE_IDENTICAL_OPERATIONS: boolean(true).describe('true/false: a query identical to one being answered (same text, variables, operation name, tenant and scopes) waits for that answer instead of running again (default true; with CACHE_ENABLED=false too)'),
  CACHE_POLICY: cachePolicy().describe('Freshness overrides, resource=ttl[/swr[/maxStale]] in seconds, comma separated'),
  REDIS_TIMEOUT_MS: integer(100, 1, 60_000).describe('Longest Redis may stay silent with a command or probe waiting before it counts as failed and the caller falls back to in-process; up to a second more while Redis answers other commands or the gateway is busy (default 100)'),
  REDIS_PROBE_INTERVAL_MS: integer(250, 10, 60_000).describe('While Redis is down, the pause between PINGs that check whether it is back (default 250)'),
  QUOTA_FALLBACK_SHARE: fraction(0.5).describe('Share of each quota one instance spends alone while Redis is away, 0–1 (default 0.5)'),
  TENANTS_FILE: text(undefined).describe('YAML or JSON file of tenants, each with its own provider accounts, budgets and limits (selects remote mode)'),
  DEFAULT_TENANT_ID: tenantId().describe('Tenant id of the accounts the provider variables configure (default `default`; `sample` in embedded mode)'),
  API_KEYS_FILE: text(undefined).describe('YAML or JSON file of API keys (their SHA-256 only) with each key\'s client, tenant and scopes'),
  JWT_JWKS_URL: httpUrl(undefined).describe('JWKS URL of the issuer whose JWTs are accepted as bearer credentials'),
  JWT_PUBLIC_KEY_FILE: text(undefined).describe('PEM public key (SPKI or certificate) that signs accepted JWTs, instead of JWT_JWKS_URL'),
  JWT_ISSUER: text(undefined).describe('Required `iss` of accepted JWTs (required with JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE)'),
  JWT_AUDIENCE: text(undefined).describe('Required `aud` of accepted JWTs (required with JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE)'),
  JWT_ALGORITHMS: jwtAlgorithms().describe('Accepted JWT algorithms, comma separated (default RS256,PS256,ES256,EdDSA)'),
  JWT_CLOCK_SKEW_SECONDS: integer(30, 0, 300).describe('Clock difference tolerated on exp and nbf, 0–300 (default 30)'),
  JWT_TENANT_CLAIM: text('tenant').describe('Claim that names the tenant (default tenant)'),
  JWT_CLIENT_CLAIM: text('client_id').describe('Claim that names the client; azp, then sub, when absent (default client_id)'),
  HTTP_HEADERS_TIMEOUT_MS: integer(10_000, 1, 600_000).describe('Time a client has to send a request\'s headers before the socket is closed (default 10000)'),
  HTTP_REQUEST_TIMEOUT_MS: integer(30_000, 1, 3_600_000).describe('Time a client has to send a whole request, body included, before the socket is closed (default 30000; at least HTTP_HEADERS_TIMEOUT_MS)'),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(72_000, 1, 600_000).describe('Idle time before a kept-alive connection is closed; above the load balancer\'s idle timeout (default 72000)'),
  CORS_ORIGINS: corsOrigins().describe('Comma-separated origins (https://app.example.com) allowed to call /graphql from a browser, or * (default none: no CORS headers)'),
  CORS_CREDENTIALS: boolean(false).describe('true/false: allow cookies and Authorization on cross-origin requests; refused with CORS_ORIGINS=* (default false)'),
  TRUSTED_DOCUMENTS: oneOf(['off', 'allow', 'enforce'], 'off').describe('off (default), allow (unlisted operations run and are logged once per hash) or enforce (only listed operations run)'),
  TRUSTED_DOCUMENTS_FILE: text(undefined).describe('Apollo persisted query manifest (JSON) of the trusted operations; `npm run trusted-documents` builds one'),
  CLIENT_RATE_LIMIT_REQUESTS: integer(600, 0, 10_000_000).describe('Requests one client may make per rate-limit window, then HTTP 429 RATE_LIMITED (default 600; 0 unlimited)'),
  CLIENT_RATE_LIMIT_COST: integer(100_000, 0, 10_000_000).describe('Operation cost units one client may spend per window (default 100000; 0 unlimited)'),
  TENANT_RATE_LIMIT_REQUESTS: integer(3000, 0, 10_000_000).describe('Requests all clients of one tenant may make together per window (default 3000; 0 unlimited)'),
  TENANT_RATE_LIMIT_COST: integer(500_000, 0, 10_000_000).describe('Operation cost units all clients of one tenant may spend together per window (default 500000; 0 unlimited)'),
  RATE_LIMIT_WINDOW_MS: wholeSeconds(60_000).describe('Window of the client and tenant rate limits, whole seconds in ms (default 60000)'),
  MAX_REQUEST_BYTES: integer(LIMIT_DEFAULTS.maxRequestBytes, 1024, 1024 ** 3).describe('Largest HTTP request body; a larger one gets 413 REQUEST_TOO_LARGE (default 1048576)'),
  MAX_QUERY_BYTES: integer(LIMIT_DEFAULTS.maxQueryBytes, 1, 1024 ** 3).describe('Largest GraphQL document, in UTF-8 bytes (default 16384)'),
  MAX_QUERY_TOKENS: integer(LIMIT_DEFAULTS.maxTokens, 1, 1e7).describe('Most lexical tokens in a GraphQL document (default 1000)'),
  MAX_QUERY_DEPTH: integer(LIMIT_DEFAULTS.maxDepth, 1, 1000).describe('Deepest field nesting of an operation (default 10; Customer 360 needs 8)'),
  MAX_QUERY_ALIASES: integer(LIMIT_DEFAULTS.maxAliases, 0, 1e6).describe('Most aliases in an operation (default 15)'),
  MAX_ROOT_FIELDS: integer(LIMIT_DEFAULTS.maxRootFields, 1, 1e6).describe('Most fields at the root of an operation (default 10)'),
  MAX_QUERY_DIRECTIVES: integer(LIMIT_DEFAULTS.maxDirectives, 0, 1e6).describe('Most directives in an operation (default 50)'),
  MAX_QUERY_COST: integer(LIMIT_DEFAULTS.maxCost, 1, 1e12).describe('Highest estimated cost (upstream calls + objects) of an operation (default 5000; Customer 360 with first: 50 is about 2200)'),
  MAX_STRING_ARGUMENT_LENGTH: integer(LIMIT_DEFAULTS.maxStringLength, 1, 1024 ** 3).describe('Longest String or ID argument value, literal or variable, in characters (default 1024)'),
  MAX_VARIABLES_DEPTH: integer(LIMIT_DEFAULTS.maxVariablesDepth, 1, 10_000).describe('Deepest nesting of lists and objects in an operation\'s variables (default 10)'),
  STRIPE_WEBHOOK_SECRETS: secret().describe('Stripe endpoint signing secrets whsec_…, comma separated during a rotation (or STRIPE_WEBHOOK_SECRETS_FILE); enables POST /webhooks/stripe'),
  HUBSPOT_WEBHOOK_SECRETS: secret().describe('HubSpot app client secrets that sign webhooks (v3), comma separated (or HUBSPOT_WEBHOOK_SECRETS_FILE; default HUBSPOT_CLIENT_SECRET); enables POST /webhooks/hubspot'),
  CUSTOMERS_WEBHOOK_SECRETS: secret().describe('Customer service Standard Webhooks secrets whsec_<base64>, comma separated (or CUSTOMERS_WEBHOOK_SECRETS_FILE); enables POST /webhooks/customers'),
  WEBHOOK_PUBLIC_URL: httpUrl(undefined).describe('The gateway\'s base URL as providers post to it (https://gw.example.com), for HubSpot\'s signature over the full URI (default: the request\'s scheme and Host)'),
  WEBHOOK_MAX_BYTES: integer(1024 * 1024, 1024, 64 * 1024 * 1024).describe('Largest webhook body, refused with 413 before it is read whole (default 1048576)'),
  EVENTS_MAX_ATTEMPTS: integer(8, 1, 100).describe('Attempts to handle an event before it becomes a dead letter (default 8)'),
  EVENTS_RETRY_BASE_MS: integer(1000, 0, 3_600_000).describe('Full-jitter backoff base between attempts to handle an event (default 1000)'),
  EVENTS_RETRY_MAX_MS: integer(60_000, 1, 86_400_000).describe('Full-jitter backoff cap between attempts (default 60000)'),
  EVENTS_CLAIM_IDLE_MS: integer(120_000, 100, 86_400_000).describe('Time an event may stay with a consumer that does not finish it (a dead instance) before another instance takes it over; above EVENTS_RETRY_MAX_MS (default 120000)'),
  IDEMPOTENCY_TTL_SECONDS: integer(86_400, 60, 30 * 86_400).describe('How long a mutation\'s Idempotency-Key and its answer are kept for replay (default 86400: 24 h)'),
  WRITES_MAX_ATTEMPTS: integer(30, 1, 1000).describe('Attempts to send a deferred write (allowDeferred) before it becomes a dead letter; refusals by an open circuit count too (default 30: about 12 minutes of outage on average with the default backoff)'),
  WRITES_RETRY_BASE_MS: integer(undefined, 0, 3_600_000).describe('Full-jitter backoff base between attempts to send a deferred write (default 1000)'),
  WRITES_RETRY_MAX_MS: integer(undefined, 1, 86_400_000).describe('Full-jitter backoff cap between attempts to send a deferred write; below EVENTS_CLAIM_IDLE_MS (default 60000, or just below a shorter EVENTS_CLAIM_IDLE_MS)'),
  WRITES_RECORD_TTL_SECONDS: integer(7 * 86_400, 60, 90 * 86_400).describe('How long a deferred write\'s status stays readable with writeStatus (default 604800: 7 days)'),
  EVENTS_DEDUPE_TTL_SECONDS: integer(4 * 86_400, 60, 30 * 86_400).describe('How long event ids are remembered to refuse duplicates and replays (default 345600: 4 days, Stripe retries for 3)'),
  SUBSCRIPTIONS_MAX_PER_CONNECTION: integer(SUBSCRIPTION_DEFAULTS.maxPerConnection, 1, 100_000).describe('Subscriptions one WebSocket connection may hold at once (default 100)'),
  SUBSCRIPTIONS_MAX_BUFFERED_BYTES: integer(SUBSCRIPTION_DEFAULTS.maxBufferedBytes, 1024, 1024 ** 3).describe('Bytes waiting to be sent on one WebSocket connection past which it is closed as too slow, code 4008 (default 1048576)'),
  SUBSCRIPTIONS_PING_INTERVAL_MS: integer(SUBSCRIPTION_DEFAULTS.pingIntervalMs, 1000, 3_600_000).describe('Between WebSocket pings; a connection that missed the previous pong is then terminated (default 30000)'),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl().describe('OTLP/HTTP base URL (http://collector:4318); traces go to its /v1/traces. Unset (and no OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): no tracing at all'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl().describe('OTLP/HTTP traces URL, used as is (http://collector:4318/v1/traces); wins over OTEL_EXPORTER_OTLP_ENDPOINT'),
  OTEL_SERVICE_NAME: text('tributary').describe('service.name of the spans (default tributary); the other OTEL_* variables (sampler, resource attributes, exporter headers, batching) are read by the OpenTelemetry SDK itself'),
  OTEL_SDK_DISABLED: boolean(false).describe('`true` turns tracing off whatever endpoint is set (default false)'),
  METRICS: metricsSwitch().describe('on/off: serve Prometheus metrics at GET /metrics (default on)'),
  METRICS_TOKEN: secret().describe('Bearer token a scrape of /metrics must send (or METRICS_TOKEN_FILE; at least 16 characters); also the operator\'s key to every tenant on /ops. With client auth or in production, /metrics answers 403 without it or METRICS_PORT'),
  METRICS_PORT: integer(undefined, 0, 65535).describe('Serve /metrics on this port of METRICS_HOST only, apart from /graphql (default: beside /graphql on PORT)'),
  METRICS_HOST: host('127.0.0.1').describe('Interface the METRICS_PORT server listens on (default 127.0.0.1: reachable from this host only)'),
  METRICS_MAX_OPERATIONS: integer(100, 0, 10_000).describe('Distinct operation names labelled by name in the metrics; later ones count as `other` (default 100)'),
  EXPLORER: oneOf(['local', 'apollo', 'off'], undefined).describe('What a browser opening /graphql gets: local (GraphiQL served from the gateway\'s own files, works offline), apollo (Apollo Sandbox from its CDN) or off (default local; off in production unless set)'),
  COMPRESSION: onOff(true).describe('on/off: compress answers with brotli or gzip, as the client\'s Accept-Encoding allows (default on)'),
  COMPRESSION_THRESHOLD_BYTES: integer(1024, 0, 100 * 1024 * 1024).describe('Smallest answer that is compressed (default 1024)'),
  APQ: onOff(true).describe('on/off: automatic persisted queries, their documents kept in the entity cache\'s store, Redis when configured, shared by every instance (default on; off when TRUSTED_DOCUMENTS=enforce)'),
  APQ_TTL_SECONDS: integer(86_400, 1, 31_536_000).describe('How long a registered persisted query is kept after its last registration (default 86400: 24 h)'),
  APQ_MAX_ENTRIES: integer(2000, 1, 1e6).describe('Most persisted queries kept in Redis for all instances together; past it the oldest registrations go first (default 2000)'),
});

/** The environment as given: process.env, or a test's own object. */
export type Env = Readonly<Record<string, string | undefined>>;
export type EnvValues = z.output<typeof ENV_SCHEMA>;
export type EnvVariable = keyof EnvValues;

/** Each variable and its meaning, from the schema: the one list the README's table is checked against. */
export const CONFIG_KEYS = Object.fromEntries(Object.entries(ENV_SCHEMA.shape).map(([name, field]) => [name, field.description ?? ''])) as Record<EnvVariable, string>;

/**
 * Parses every variable at once; each bad one becomes a problem naming it and then stands at its
 * default, so that the rules between variables still run on the others and report theirs too.
 */
export function parseEnvironment(env: Env, problems: ConfigProblems): EnvValues {
  const parsed = ENV_SCHEMA.safeParse(env);
  if (parsed.success) return parsed.data;
  const bad = new Set<string>();
  for (const issue of parsed.error.issues) {
    const variable = String(issue.path[0]);
    bad.add(variable);
    problems.add(variable, issue.message);
  }
  // Fields are independent, so without the bad variables the parse cannot fail.
  return ENV_SCHEMA.parse(Object.fromEntries(Object.entries(env).filter(([name]) => !bad.has(name))));
}
