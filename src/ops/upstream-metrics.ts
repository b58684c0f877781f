import { Counter, Histogram, type Registry } from 'prom-client';
import type { ProviderName } from '../errors.ts';
import type { BreakerStateName, CacheOutcome, RefusalReason, Telemetry, UpstreamAttempt } from '../telemetry.ts';
import { CounterCells } from './counter-cells.ts';

/** Seconds; from a cached answer (5 ms) to an attempt that runs into the longest timeouts (10 s). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `2xx`… by the status's hundreds; `none` when no answer came (undici consumes 1xx answers, which are never final). */
const STATUS_CLASSES = ['none', 'none', '2xx', '3xx', '4xx', '5xx'];

/** A counter in `registry` fed through CounterCells (see there why). */
export function cellCounter(registry: Registry, name: string, help: string, labelNames: readonly string[]): CounterCells {
  let cells: CounterCells | undefined;
  const counter = new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      cells?.flush();
    },
  });
  return (cells = new CounterCells(counter, labelNames));
}

/**
 * The Telemetry sink behind the upstream series (the README's "Metrics" lists them): one count
 * per attempt, refusal, quota wait, breaker change and cache outcome. Labels are what the layers
 * below pass, which are bounded by construction (provider, resource, outcome names, configured
 * tenants). Attempts, retries and refusals carry the tenant, so that a tenant's /ops view can show
 * its own; cache lookups have none (a cached entity serves every tenant that reads it).
 */
export function upstreamTelemetry(registry: Registry): Telemetry {
  const requests = cellCounter(registry, 'tributary_upstream_requests_total', 'HTTP attempts to a provider, by resource, status class and outcome (error: the attempt failed)', ['provider', 'tenant', 'resource', 'status_class', 'outcome']);
  const duration = new Histogram({
    name: 'tributary_upstream_request_duration_seconds',
    help: 'Duration of each HTTP attempt to a provider',
    labelNames: ['provider', 'tenant', 'resource'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const retries = cellCounter(registry, 'tributary_upstream_retries_total', 'Attempts after the first of a call', ['provider', 'tenant']);
  const refusals = cellCounter(registry, 'tributary_upstream_refusals_total', 'Calls refused before any attempt, by reason', ['provider', 'tenant', 'reason']);
  const bytes = cellCounter(registry, 'tributary_upstream_response_bytes_total', 'Response bytes received from a provider', ['provider']);
  const lookups = cellCounter(registry, 'tributary_cache_lookups_total', 'Entity cache lookups by outcome', ['provider', 'resource', 'outcome']);
  const quotaWaits = cellCounter(registry, 'tributary_quota_waits_total', 'Calls that waited for their provider\'s quota', ['provider']);
  const quotaWaitSeconds = cellCounter(registry, 'tributary_quota_wait_seconds_total', 'Time calls waited for their provider\'s quota', ['provider']);
  const transitions = cellCounter(registry, 'tributary_breaker_transitions_total', 'Circuit breaker changes of state, by the state entered', ['provider', 'to']);
  return {
    upstreamAttempt(attempt: UpstreamAttempt) {
      const { provider, tenant, resource, status } = attempt;
      const statusClass = status === undefined ? 'none' : (STATUS_CLASSES[Math.floor(status / 100)] ?? 'none');
      requests.add(1, provider, tenant, resource, statusClass, attempt.errorCode === undefined ? 'ok' : 'error');
      duration.observe({ provider, tenant, resource }, attempt.durationMs / 1000);
      if (attempt.attempt > 1) retries.add(1, provider, tenant);
      if (attempt.bytes > 0) bytes.add(attempt.bytes, provider);
    },
    upstreamRefused(provider: ProviderName, tenant: string, reason: RefusalReason) {
      refusals.add(1, provider, tenant, reason);
    },
    quotaWaited(provider: ProviderName, _tenant: string, waitedMs: number) {
      quotaWaits.add(1, provider);
      quotaWaitSeconds.add(waitedMs / 1000, provider);
    },
    breakerChanged(provider: ProviderName, _tenant: string, _from: BreakerStateName, to: BreakerStateName) {
      transitions.add(1, provider, to);
    },
    cacheLookup(provider: ProviderName, resource: string, outcome: CacheOutcome, count: number) {
      lookups.add(count, provider, resource, outcome);
    },
  };
}
