import type { EventsConfig, GatewayConfig, HttpConfig, MetricsConfig, WritesConfig } from '../config.ts';
import { readTrustedManifest, type TrustedOperation } from '../server/trusted-documents/trusted-manifest.ts';
import type { ConfigProblems } from './config-problems.ts';
import type { Env, EnvValues } from './env-schema.ts';
import { isSet } from './remote-providers.ts';
import { optionalSecret } from './secrets.ts';

/**
 * The parts of the configuration whose variables constrain each other, or that read a file.
 * A rule between two variables is skipped while either has a problem of its own: the value it
 * would compare is a stand-in, and the report would blame the wrong variable.
 */

/** REDIS_URL or REDIS_CLUSTER_NODES: one Redis or one cluster, never both. */
export function redisTarget(env: Env, v: EnvValues, problems: ConfigProblems): Pick<GatewayConfig['cache'], 'redisUrl' | 'redisClusterNodes'> {
  if (isSet(env, 'REDIS_URL') && isSet(env, 'REDIS_CLUSTER_NODES')) {
    problems.add('REDIS_CLUSTER_NODES', 'set either REDIS_URL or REDIS_CLUSTER_NODES, not both');
    return {};
  }
  if (v.REDIS_URL !== undefined) return { redisUrl: v.REDIS_URL };
  if (v.REDIS_CLUSTER_NODES !== undefined) return { redisClusterNodes: v.REDIS_CLUSTER_NODES };
  return {};
}

export function httpConfig(v: EnvValues, problems: ConfigProblems): HttpConfig {
  // Node refuses a headers timeout above the request timeout.
  if (v.HTTP_REQUEST_TIMEOUT_MS < v.HTTP_HEADERS_TIMEOUT_MS && !problems.any('HTTP_REQUEST_TIMEOUT_MS', 'HTTP_HEADERS_TIMEOUT_MS')) {
    problems.add('HTTP_REQUEST_TIMEOUT_MS', `must be at least HTTP_HEADERS_TIMEOUT_MS (${v.HTTP_HEADERS_TIMEOUT_MS})`);
  }
  // Browsers refuse credentialed answers with `Access-Control-Allow-Origin: *` (Fetch §3.2.5);
  // reflecting any origin instead would hand every site the user's session.
  if (v.CORS_CREDENTIALS && v.CORS_ORIGINS.includes('*')) problems.add('CORS_CREDENTIALS', 'cannot be true with CORS_ORIGINS=*; list the origins');
  return {
    headersTimeoutMs: v.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: v.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: v.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    cors: { origins: v.CORS_ORIGINS, credentials: v.CORS_CREDENTIALS },
  };
}

export function trustedDocuments(v: EnvValues, problems: ConfigProblems): GatewayConfig['trustedDocuments'] {
  const mode = v.TRUSTED_DOCUMENTS;
  if (mode === 'off') return { mode, operations: [] };
  const file = v.TRUSTED_DOCUMENTS_FILE;
  if (file === undefined) {
    problems.add('TRUSTED_DOCUMENTS_FILE', `is required when TRUSTED_DOCUMENTS is ${mode}`);
    return { mode, operations: [] };
  }
  let operations: TrustedOperation[];
  try {
    operations = readTrustedManifest(file).operations;
  } catch (error) {
    problems.add('TRUSTED_DOCUMENTS_FILE', (error as Error).message);
    return { mode, operations: [] };
  }
  if (operations.length === 0) problems.add('TRUSTED_DOCUMENTS_FILE', `${file} lists no operation`);
  return { mode, operations };
}

export function eventsConfig(v: EnvValues, problems: ConfigProblems): EventsConfig {
  // A consumer waiting out its own backoff must not look dead to the others.
  if (v.EVENTS_CLAIM_IDLE_MS <= v.EVENTS_RETRY_MAX_MS && !problems.any('EVENTS_CLAIM_IDLE_MS', 'EVENTS_RETRY_MAX_MS')) {
    problems.add('EVENTS_CLAIM_IDLE_MS', `must be above EVENTS_RETRY_MAX_MS (${v.EVENTS_RETRY_MAX_MS})`);
  }
  return {
    webhookMaxBytes: v.WEBHOOK_MAX_BYTES,
    ...(v.WEBHOOK_PUBLIC_URL !== undefined ? { publicUrl: v.WEBHOOK_PUBLIC_URL.replace(/\/$/, '') } : {}),
    maxAttempts: v.EVENTS_MAX_ATTEMPTS,
    retryBaseMs: v.EVENTS_RETRY_BASE_MS,
    retryMaxMs: v.EVENTS_RETRY_MAX_MS,
    claimIdleMs: v.EVENTS_CLAIM_IDLE_MS,
    dedupeTtlMs: v.EVENTS_DEDUPE_TTL_SECONDS * 1000,
  };
}

export function writesConfig(v: EnvValues, problems: ConfigProblems): WritesConfig {
  const claimIdleMs = v.EVENTS_CLAIM_IDLE_MS;
  // The queue shares the events' take-over rule: a worker waiting out its backoff must not look
  // dead. Left unset, the cap follows a shorter EVENTS_CLAIM_IDLE_MS down; set, it must fit.
  const retryMaxMs = v.WRITES_RETRY_MAX_MS ?? Math.min(60_000, claimIdleMs - 1);
  if (retryMaxMs >= claimIdleMs && !problems.any('WRITES_RETRY_MAX_MS', 'EVENTS_CLAIM_IDLE_MS')) {
    problems.add('WRITES_RETRY_MAX_MS', `must be below EVENTS_CLAIM_IDLE_MS (${claimIdleMs})`);
  }
  const retryBaseMs = v.WRITES_RETRY_BASE_MS ?? Math.min(1000, retryMaxMs);
  if (retryBaseMs > retryMaxMs && !problems.any('WRITES_RETRY_BASE_MS', 'WRITES_RETRY_MAX_MS', 'EVENTS_CLAIM_IDLE_MS')) {
    problems.add('WRITES_RETRY_BASE_MS', `must not be above WRITES_RETRY_MAX_MS (${retryMaxMs})`);
  }
  return {
    idempotencyTtlMs: v.IDEMPOTENCY_TTL_SECONDS * 1000,
    maxAttempts: v.WRITES_MAX_ATTEMPTS,
    retryBaseMs,
    retryMaxMs,
    recordTtlMs: v.WRITES_RECORD_TTL_SECONDS * 1000,
  };
}

export function metricsConfig(env: Env, v: EnvValues, problems: ConfigProblems): MetricsConfig {
  const token = optionalSecret(env, 'METRICS_TOKEN', problems);
  // Compared as a bearer credential: a short one could be guessed, and the value is never echoed.
  if (token !== undefined && token.length < 16) problems.add('METRICS_TOKEN', 'must be at least 16 characters');
  const port = v.METRICS_PORT;
  if (port !== undefined && port !== 0 && port === v.PORT && !problems.any('PORT')) problems.add('METRICS_PORT', `must differ from PORT (${port})`);
  return {
    enabled: v.METRICS,
    ...(token !== undefined ? { token } : {}),
    ...(port !== undefined ? { port } : {}),
    host: v.METRICS_HOST,
    maxOperations: v.METRICS_MAX_OPERATIONS,
  };
}

/**
 * Where spans go, by the OpenTelemetry exporter spec: the traces endpoint as is, else the base
 * endpoint with `v1/traces` appended. OTEL_SDK_DISABLED=true wins over both.
 */
export function tracingConfig(v: EnvValues): GatewayConfig['tracing'] {
  if (v.OTEL_SDK_DISABLED) return {};
  if (v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined) return { tracesUrl: v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT };
  if (v.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined) return { tracesUrl: `${v.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` };
  return {};
}
