import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import type { ProviderName } from '../errors.ts';
import type { BreakerStateName, CacheOutcome, RefusalReason } from '../telemetry.ts';
import { histogramQuantile, type Bucket } from './histogram-quantile.ts';

/**
 * What the /ops page shows, read from the gateway's metrics registry (names in the metrics spec,
 * prefix `tributary_`). Counters are cumulative since start: the page turns two snapshots into
 * rates, and two bucket lists into a window's latency, so one snapshot serves every window.
 */
export interface OpsSnapshot {
  /** When it was taken, ms since the epoch (the gateway's clock). */
  readonly at: number;
  /**
   * `operator`: every figure, every tenant. `tenant`: one tenant's upstream figures, quotas and
   * breakers only; what no tenant owns (GraphQL operations, cache lookups, bulkheads, events,
   * writes, the process) is absent, since it would show what other tenants do.
   */
  readonly view: 'operator' | 'tenant';
  readonly providers: Record<ProviderName, ProviderSnapshot>;
  readonly graphql?: { readonly requests: number; readonly errors: number; readonly latency: LatencySnapshot };
  readonly events?: { readonly backlog: number | null; readonly deadLetters: number | null };
  readonly writes?: { readonly backlog: number | null; readonly deadLetters: number | null };
  readonly process?: { readonly rssBytes: number | null; readonly eventLoopLagP99Seconds: number | null };
}

export interface ProviderSnapshot {
  /** HTTP attempts, retries included. */
  readonly attempts: number;
  /** Attempts that failed (outcome `error`), and the same by status class (`none`: no answer). */
  readonly errors: number;
  readonly errorsByStatusClass: Record<string, number>;
  readonly retries: number;
  readonly refusals: Record<RefusalReason, number>;
  /** Operator view only: a cached entity serves every tenant's reads of it. */
  readonly cache?: Record<CacheOutcome, number>;
  readonly latency: LatencySnapshot;
  /** Per tenant: this process's view of the provider's quota. */
  readonly quota: Record<string, { readonly limit: number | null; readonly remaining: number | null; readonly resetSeconds: number | null }>;
  /** Per tenant: the circuit's state. */
  readonly breakers: Record<string, BreakerStateName>;
  /** Operator view only: one bulkhead per provider, shared by the tenants. */
  readonly bulkhead?: { readonly inFlight: number | null; readonly queued: number | null };
}

export interface LatencySnapshot {
  readonly count: number;
  readonly sumSeconds: number;
  /** Cumulative buckets in seconds, `le` ascending, +Inf last (as `null`: JSON has no Infinity). */
  readonly buckets: ReadonlyArray<readonly [le: number | null, count: number]>;
  readonly p50Seconds: number | null;
  readonly p99Seconds: number | null;
}

export interface OpsSnapshotOptions {
  /** The tenant view of this tenant (a principal with `ops:read` sees its own tenant only). */
  readonly tenant?: string;
  readonly now?: () => number;
}

const PROVIDERS: readonly ProviderName[] = ['customers', 'stripe', 'hubspot'];
const REFUSALS: readonly RefusalReason[] = ['breaker_open', 'bulkhead_full', 'quota_spent', 'deadline'];
const CACHE_OUTCOMES: readonly CacheOutcome[] = ['hit', 'miss', 'stale', 'revalidated', 'joined'];
/** tributary_breaker_state's values, in the spec's order. */
const BREAKER_STATES: readonly BreakerStateName[] = ['closed', 'half_open', 'open'];

/** Every metric the snapshot reads. */
const METRICS = [
  'tributary_upstream_requests_total',
  'tributary_upstream_request_duration_seconds',
  'tributary_upstream_retries_total',
  'tributary_upstream_refusals_total',
  'tributary_cache_lookups_total',
  'tributary_quota_limit',
  'tributary_quota_remaining',
  'tributary_quota_reset_seconds',
  'tributary_breaker_state',
  'tributary_bulkhead_in_flight',
  'tributary_bulkhead_queued',
  'tributary_graphql_requests_total',
  'tributary_graphql_errors_total',
  'tributary_graphql_request_duration_seconds',
  'tributary_events_backlog',
  'tributary_events_dead_letters',
  'tributary_writes_backlog',
  'tributary_writes_dead_letters',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
] as const;

type Labels = Partial<Record<string, string | number>>;
type Sample = MetricValue<string> & { metricName?: string };

/** Reads the registry once per metric it needs (not the whole registry: default metrics cost a collect each). */
export async function opsSnapshot(registry: Registry, options: OpsSnapshotOptions = {}): Promise<OpsSnapshot> {
  const samples = await readAll(registry, METRICS);
  const [requests, duration, retries, refusals, cache] = [
    samples('tributary_upstream_requests_total'),
    samples('tributary_upstream_request_duration_seconds'),
    samples('tributary_upstream_retries_total'),
    samples('tributary_upstream_refusals_total'),
    samples('tributary_cache_lookups_total'),
  ];
  const [quotaLimit, quotaRemaining, quotaReset, breaker, inFlight, queued] = [
    samples('tributary_quota_limit'),
    samples('tributary_quota_remaining'),
    samples('tributary_quota_reset_seconds'),
    samples('tributary_breaker_state'),
    samples('tributary_bulkhead_in_flight'),
    samples('tributary_bulkhead_queued'),
  ];
  const operator = options.tenant === undefined;
  const ownTenant = (labels: Labels) => operator || labels['tenant'] === options.tenant;

  const provider = (name: ProviderName): ProviderSnapshot => {
    const of = (samples: Sample[]) => samples.filter((sample) => sample.labels['provider'] === name);
    // The upstream series carry the tenant whose account each call used.
    const owned = (samples: Sample[]) => of(samples).filter((sample) => ownTenant(sample.labels));
    const failed = owned(requests).filter((sample) => sample.labels['outcome'] === 'error');
    return {
      attempts: total(owned(requests)),
      errors: total(failed),
      errorsByStatusClass: sumBy(failed, 'status_class'),
      retries: total(owned(retries)),
      refusals: countsOf(REFUSALS, sumBy(owned(refusals), 'reason')),
      ...(operator ? { cache: countsOf(CACHE_OUTCOMES, sumBy(of(cache), 'outcome')) } : {}),
      latency: latencyOf(owned(duration)),
      quota: perTenant([...of(quotaLimit), ...of(quotaRemaining), ...of(quotaReset)].filter((s) => ownTenant(s.labels)), (tenant) => ({
        limit: valueOf(of(quotaLimit), tenant),
        remaining: valueOf(of(quotaRemaining), tenant),
        resetSeconds: valueOf(of(quotaReset), tenant),
      })),
      breakers: perTenant(of(breaker).filter((s) => ownTenant(s.labels)), (tenant) => BREAKER_STATES[valueOf(of(breaker), tenant) ?? 0] ?? 'closed'),
      ...(operator ? { bulkhead: { inFlight: gauge(of(inFlight)), queued: gauge(of(queued)) } } : {}),
    };
  };

  const providers = Object.fromEntries(PROVIDERS.map((name) => [name, provider(name)])) as Record<ProviderName, ProviderSnapshot>;
  const at = (options.now ?? Date.now)();
  if (!operator) return { at, view: 'tenant', providers };
  return {
    at,
    view: 'operator',
    providers,
    graphql: {
      requests: total(samples('tributary_graphql_requests_total')),
      errors: total(samples('tributary_graphql_errors_total')),
      latency: latencyOf(samples('tributary_graphql_request_duration_seconds')),
    },
    events: { backlog: gauge(samples('tributary_events_backlog')), deadLetters: gauge(samples('tributary_events_dead_letters')) },
    writes: { backlog: gauge(samples('tributary_writes_backlog')), deadLetters: gauge(samples('tributary_writes_dead_letters')) },
    process: { rssBytes: gauge(samples('process_resident_memory_bytes')), eventLoopLagP99Seconds: gauge(samples('nodejs_eventloop_lag_p99_seconds')) },
  };
}

// Private: reading samples.

/** A metric the registry does not hold reads as no samples: the page shows what exists. */
async function readAll(registry: Registry, names: readonly string[]): Promise<(name: string) => Sample[]> {
  const read = await Promise.all(
    names.map(async (name) => {
      const metric = registry.getSingleMetric(name);
      return [name, metric ? ((await metric.get()) as MetricObjectWithValues<Sample>).values : []] as const;
    }),
  );
  const byName = new Map<string, Sample[]>(read);
  return (name) => byName.get(name) ?? [];
}

function total(samples: readonly Sample[]): number {
  return samples.reduce((sum, sample) => sum + sample.value, 0);
}

/** A gauge without labels (or summed over them); `null` when the registry does not have it. */
function gauge(samples: readonly Sample[]): number | null {
  return samples.length === 0 ? null : total(samples);
}

function sumBy(samples: readonly Sample[], label: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const sample of samples) {
    const key = String(sample.labels[label] ?? '');
    sums[key] = (sums[key] ?? 0) + sample.value;
  }
  return sums;
}

function countsOf<K extends string>(keys: readonly K[], sums: Record<string, number>): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, sums[key] ?? 0])) as Record<K, number>;
}

function perTenant<T>(samples: readonly Sample[], build: (tenant: string) => T): Record<string, T> {
  const tenants = [...new Set(samples.map((sample) => String(sample.labels['tenant'])))].sort();
  return Object.fromEntries(tenants.map((tenant) => [tenant, build(tenant)]));
}

function valueOf(samples: readonly Sample[], tenant: string): number | null {
  return samples.find((sample) => sample.labels['tenant'] === tenant)?.value ?? null;
}

/** A histogram's samples, summed over every label but `le` (all resources, all operations). */
function latencyOf(samples: readonly Sample[]): LatencySnapshot {
  const byBound = new Map<number, number>();
  let count = 0;
  let sumSeconds = 0;
  for (const sample of samples) {
    if (sample.metricName?.endsWith('_bucket')) {
      const le = sample.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels['le']);
      byBound.set(le, (byBound.get(le) ?? 0) + sample.value);
    } else if (sample.metricName?.endsWith('_count')) count += sample.value;
    else if (sample.metricName?.endsWith('_sum')) sumSeconds += sample.value;
  }
  const buckets: Bucket[] = [...byBound].map(([le, n]) => ({ le, count: n })).sort((a, b) => a.le - b.le);
  return {
    count,
    sumSeconds,
    buckets: buckets.map(({ le, count: n }) => [Number.isFinite(le) ? le : null, n] as const),
    p50Seconds: histogramQuantile(0.5, buckets),
    p99Seconds: histogramQuantile(0.99, buckets),
  };
}
