import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { histogramQuantile } from '../../src/ops/histogram-quantile.ts';
import { opsSnapshot } from '../../src/ops/ops-snapshot.ts';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A registry holding the metrics spec's names and labels as a gateway that served some traffic would. */
function populated(): Registry {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({ name: 'tributary_upstream_requests_total', help: 'h', labelNames: ['provider', 'tenant', 'resource', 'status_class', 'outcome'], registers });
  requests.inc({ provider: 'stripe', tenant: 'acme', resource: 'stripe.charges', status_class: '2xx', outcome: 'ok' }, 90);
  requests.inc({ provider: 'stripe', tenant: 'acme', resource: 'stripe.charge', status_class: '5xx', outcome: 'error' }, 6);
  requests.inc({ provider: 'stripe', tenant: 'acme', resource: 'stripe.charges', status_class: 'none', outcome: 'error' }, 4);
  requests.inc({ provider: 'hubspot', tenant: 'globex', resource: 'hubspot.contact', status_class: '2xx', outcome: 'ok' }, 7);
  const duration = new Histogram({ name: 'tributary_upstream_request_duration_seconds', help: 'h', labelNames: ['provider', 'tenant', 'resource'], buckets: SECONDS, registers });
  // 98 quick answers over two resources and 2 slow ones: p50 in the first bucket, p99 in the slow one.
  for (let i = 0; i < 49; i += 1) duration.observe({ provider: 'stripe', tenant: 'acme', resource: 'stripe.charges' }, 0.004);
  for (let i = 0; i < 49; i += 1) duration.observe({ provider: 'stripe', tenant: 'acme', resource: 'stripe.charge' }, 0.004);
  duration.observe({ provider: 'stripe', tenant: 'acme', resource: 'stripe.charge' }, 2);
  duration.observe({ provider: 'stripe', tenant: 'acme', resource: 'stripe.charge' }, 2);
  new Counter({ name: 'tributary_upstream_retries_total', help: 'h', labelNames: ['provider', 'tenant'], registers }).inc({ provider: 'stripe', tenant: 'acme' }, 5);
  const refusals = new Counter({ name: 'tributary_upstream_refusals_total', help: 'h', labelNames: ['provider', 'tenant', 'reason'], registers });
  refusals.inc({ provider: 'stripe', tenant: 'acme', reason: 'breaker_open' }, 12);
  refusals.inc({ provider: 'hubspot', tenant: 'globex', reason: 'quota_spent' }, 1);
  const cache = new Counter({ name: 'tributary_cache_lookups_total', help: 'h', labelNames: ['provider', 'resource', 'outcome'], registers });
  cache.inc({ provider: 'stripe', resource: 'stripe.charges', outcome: 'hit' }, 30);
  cache.inc({ provider: 'stripe', resource: 'stripe.charge', outcome: 'hit' }, 10);
  cache.inc({ provider: 'stripe', resource: 'stripe.charges', outcome: 'stale' }, 3);
  cache.inc({ provider: 'stripe', resource: 'stripe.charges', outcome: 'miss' }, 7);
  const tenantGauge = (name: string) => new Gauge({ name, help: 'h', labelNames: ['provider', 'tenant'], registers });
  const limit = tenantGauge('tributary_quota_limit');
  const remaining = tenantGauge('tributary_quota_remaining');
  const reset = tenantGauge('tributary_quota_reset_seconds');
  const breaker = tenantGauge('tributary_breaker_state');
  for (const tenant of ['acme', 'globex']) {
    limit.set({ provider: 'stripe', tenant }, 25);
    remaining.set({ provider: 'stripe', tenant }, tenant === 'acme' ? 5 : 25);
    reset.set({ provider: 'stripe', tenant }, tenant === 'acme' ? 0.75 : 0);
    breaker.set({ provider: 'stripe', tenant }, tenant === 'acme' ? 2 : 1);
    breaker.set({ provider: 'hubspot', tenant }, 0);
  }
  new Gauge({ name: 'tributary_bulkhead_in_flight', help: 'h', labelNames: ['provider'], registers }).set({ provider: 'stripe' }, 3);
  new Gauge({ name: 'tributary_bulkhead_queued', help: 'h', labelNames: ['provider'], registers }).set({ provider: 'stripe' }, 1);
  const gqlRequests = new Counter({ name: 'tributary_graphql_requests_total', help: 'h', labelNames: ['operation', 'type'], registers });
  gqlRequests.inc({ operation: 'Page', type: 'query' }, 40);
  gqlRequests.inc({ operation: 'anonymous', type: 'query' }, 10);
  new Counter({ name: 'tributary_graphql_errors_total', help: 'h', labelNames: ['operation', 'code'], registers }).inc({ operation: 'Page', code: 'UPSTREAM_UNAVAILABLE' }, 8);
  const gqlDuration = new Histogram({ name: 'tributary_graphql_request_duration_seconds', help: 'h', labelNames: ['operation'], buckets: SECONDS, registers });
  for (let i = 0; i < 10; i += 1) gqlDuration.observe({ operation: 'Page' }, 0.07);
  // Collected at scrape, as the spec has them: the snapshot must run the collect callbacks.
  new Gauge({ name: 'tributary_events_dead_letters', help: 'h', registers, collect() { this.set(2); } });
  new Gauge({ name: 'tributary_writes_backlog', help: 'h', registers, collect() { this.set(4); } });
  new Gauge({ name: 'process_resident_memory_bytes', help: 'h', registers }).set(150e6);
  return registry;
}

describe('the ops snapshot', () => {
  it('sums each provider\'s attempts, failures by status class, retries, refusals and cache outcomes over every resource', async () => {
    const { providers } = await opsSnapshot(populated(), { now: () => 1_000 });
    expect(providers.stripe).toMatchObject({
      attempts: 100,
      errors: 10,
      errorsByStatusClass: { '5xx': 6, none: 4 },
      retries: 5,
      refusals: { breaker_open: 12, bulkhead_full: 0, quota_spent: 0, deadline: 0 },
      cache: { hit: 40, stale: 3, miss: 7, revalidated: 0, joined: 0 },
      bulkhead: { inFlight: 3, queued: 1 },
    });
    expect(providers.hubspot).toMatchObject({ attempts: 7, errors: 0, refusals: { quota_spent: 1 }, bulkhead: { inFlight: null, queued: null } });
    expect(providers.customers.attempts).toBe(0);
  });

  it('estimates p50 and p99 from the buckets summed over resources', async () => {
    const { latency } = (await opsSnapshot(populated())).providers.stripe;
    expect(latency.count).toBe(100);
    expect(latency.sumSeconds).toBeCloseTo(98 * 0.004 + 4, 6);
    expect(latency.p50Seconds).toBeGreaterThan(0);
    expect(latency.p50Seconds).toBeLessThanOrEqual(0.005);
    // Rank 99 of 100 lies in the (1, 2.5] bucket, which holds the two 2 s answers.
    expect(latency.p99Seconds).toBeGreaterThan(1);
    expect(latency.p99Seconds).toBeLessThanOrEqual(2.5);
    expect(latency.buckets.at(-1)).toEqual([null, 100]);
    expect(latency.buckets[0]).toEqual([0.005, 98]);
  });

  it('gives each tenant\'s quota and breaker state by name, and only the asking tenant\'s when one is given', async () => {
    const all = await opsSnapshot(populated());
    expect(all.providers.stripe.quota).toEqual({
      acme: { limit: 25, remaining: 5, resetSeconds: 0.75 },
      globex: { limit: 25, remaining: 25, resetSeconds: 0 },
    });
    expect(all.providers.stripe.breakers).toEqual({ acme: 'open', globex: 'half_open' });
    expect(all.providers.hubspot.breakers).toEqual({ acme: 'closed', globex: 'closed' });
    const own = await opsSnapshot(populated(), { tenant: 'globex' });
    expect(own.providers.stripe.quota).toEqual({ globex: { limit: 25, remaining: 25, resetSeconds: 0 } });
    expect(own.providers.stripe.breakers).toEqual({ globex: 'half_open' });
    expect(JSON.stringify(own)).not.toContain('acme');
  });

  it('gives a tenant its own upstream figures only, and leaves out what no tenant owns', async () => {
    const globex = await opsSnapshot(populated(), { tenant: 'globex' });
    expect(globex.view).toBe('tenant');
    // acme's Stripe traffic is not globex's.
    expect(globex.providers.stripe).toMatchObject({ attempts: 0, errors: 0, retries: 0, refusals: { breaker_open: 0 }, latency: { count: 0 } });
    expect(globex.providers.hubspot).toMatchObject({ attempts: 7, refusals: { quota_spent: 1 } });
    for (const provider of Object.values(globex.providers)) {
      expect(provider.cache).toBeUndefined();
      expect(provider.bulkhead).toBeUndefined();
    }
    expect([globex.graphql, globex.events, globex.writes, globex.process]).toEqual([undefined, undefined, undefined, undefined]);
    const acme = await opsSnapshot(populated(), { tenant: 'acme' });
    expect(acme.providers.stripe).toMatchObject({ attempts: 100, errors: 10, retries: 5, refusals: { breaker_open: 12 }, latency: { count: 100 } });
    expect(acme.providers.hubspot.attempts).toBe(0);
    expect((await opsSnapshot(populated())).view).toBe('operator');
  });

  it('reports GraphQL traffic, collected gauges and process figures, and null for what the registry lacks', async () => {
    const snapshot = await opsSnapshot(populated(), { now: () => 42 });
    expect(snapshot.at).toBe(42);
    expect(snapshot.graphql).toMatchObject({ requests: 50, errors: 8, latency: { count: 10 } });
    expect(snapshot.graphql!.latency.p99Seconds).toBeGreaterThan(0.05);
    expect(snapshot.graphql!.latency.p99Seconds).toBeLessThanOrEqual(0.1);
    expect(snapshot.events).toEqual({ backlog: null, deadLetters: 2 });
    expect(snapshot.writes).toEqual({ backlog: 4, deadLetters: null });
    expect(snapshot.process).toEqual({ rssBytes: 150e6, eventLoopLagP99Seconds: null });
  });

  it('reads an empty registry as zeros and nulls, and survives JSON', async () => {
    const snapshot = await opsSnapshot(new Registry());
    expect(snapshot.providers.stripe).toMatchObject({ attempts: 0, errors: 0, quota: {}, breakers: {}, latency: { count: 0, p50Seconds: null, p99Seconds: null, buckets: [] } });
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket the rank falls in, as PromQL does', () => {
    const buckets = [{ le: 0.1, count: 50 }, { le: 0.2, count: 100 }, { le: Number.POSITIVE_INFINITY, count: 100 }];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1, 9);
    expect(histogramQuantile(0.75, buckets)).toBeCloseTo(0.15, 9);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.05, 9);
  });

  it('answers the highest finite bound when the rank falls in +Inf, and null for no observations', () => {
    expect(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: Number.POSITIVE_INFINITY, count: 10 }])).toBe(1);
    expect(histogramQuantile(0.5, [{ le: 1, count: 0 }, { le: Number.POSITIVE_INFINITY, count: 0 }])).toBeNull();
    expect(() => histogramQuantile(99, [])).toThrow(RangeError);
  });
});
