import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { graphqlRates, providerRates, quantile, windowStart, worstBreaker } from '../../../src/ops/dashboard/ops-rates.js';
import { opsSnapshot, type OpsSnapshot } from '../../../src/ops/ops-snapshot.ts';

/** Two snapshots 5 s apart of a registry that moves between them: what the page receives. */
async function twoSnapshots(): Promise<[OpsSnapshot, OpsSnapshot]> {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({ name: 'tributary_upstream_requests_total', help: 'h', labelNames: ['provider', 'resource', 'status_class', 'outcome'], registers });
  const refusals = new Counter({ name: 'tributary_upstream_refusals_total', help: 'h', labelNames: ['provider', 'reason'], registers });
  const cache = new Counter({ name: 'tributary_cache_lookups_total', help: 'h', labelNames: ['provider', 'resource', 'outcome'], registers });
  const duration = new Histogram({ name: 'tributary_upstream_request_duration_seconds', help: 'h', labelNames: ['provider', 'resource'], buckets: [0.01, 0.1, 1], registers });
  const gql = new Counter({ name: 'tributary_graphql_requests_total', help: 'h', labelNames: ['operation', 'type'], registers });
  new Gauge({ name: 'tributary_breaker_state', help: 'h', labelNames: ['provider', 'tenant'], registers }).set({ provider: 'stripe', tenant: 'a' }, 0);
  // Before: 100 quick, healthy attempts.
  requests.inc({ provider: 'stripe', resource: 'stripe.charges', status_class: '2xx', outcome: 'ok' }, 100);
  for (let i = 0; i < 100; i += 1) duration.observe({ provider: 'stripe', resource: 'stripe.charges' }, 0.005);
  cache.inc({ provider: 'stripe', resource: 'stripe.charges', outcome: 'hit' }, 50);
  gql.inc({ operation: 'Page', type: 'query' }, 10);
  const before = await opsSnapshot(registry, { now: () => 10_000 });
  // Then, in 5 s: 10 slow attempts of which 5 failed, 10 calls refused, 1 hit and 3 misses.
  requests.inc({ provider: 'stripe', resource: 'stripe.charges', status_class: '2xx', outcome: 'ok' }, 5);
  requests.inc({ provider: 'stripe', resource: 'stripe.charges', status_class: '5xx', outcome: 'error' }, 5);
  for (let i = 0; i < 10; i += 1) duration.observe({ provider: 'stripe', resource: 'stripe.charges' }, 0.5);
  refusals.inc({ provider: 'stripe', reason: 'breaker_open' }, 10);
  cache.inc({ provider: 'stripe', resource: 'stripe.charges', outcome: 'hit' }, 1);
  cache.inc({ provider: 'stripe', resource: 'stripe.charges', outcome: 'miss' }, 3);
  gql.inc({ operation: 'Page', type: 'query' }, 20);
  return [before, await opsSnapshot(registry, { now: () => 15_000 })];
}

describe('the page\'s rates', () => {
  it('count failed attempts and refused calls over the window, and latency of the window\'s attempts only', async () => {
    const [before, after] = await twoSnapshots();
    const rates = providerRates(before, after, 'stripe');
    expect(rates.callsPerSecond).toBeCloseTo(20 / 5, 9);
    expect(rates.errorRate).toBeCloseTo(15 / 20, 9);
    expect(rates.cacheHitRate).toBeCloseTo(1 / 4, 9);
    // The 100 quick attempts before the window do not hide its slow ones.
    expect(rates.p50Seconds).toBeGreaterThan(0.1);
    expect(rates.p99Seconds).toBeLessThanOrEqual(1);
    expect(rates.refusals).toBe(10);
    expect(graphqlRates(before, after).requestsPerSecond).toBeCloseTo(4, 9);
  });

  it('show no rate from a single snapshot, and no error rate for a window without calls', async () => {
    const [before] = await twoSnapshots();
    expect(providerRates(before, before, 'stripe').callsPerSecond).toBeNull();
    expect(providerRates(before, before, 'stripe').p50Seconds).toBeLessThanOrEqual(0.01);
    const idle = { ...before, at: before.at + 5000 };
    expect(providerRates(before, idle, 'hubspot').errorRate).toBeNull();
    expect(providerRates(before, idle, 'hubspot').callsPerSecond).toBe(0);
  });

  it('count from zero again after a restart instead of going negative', async () => {
    const [before, after] = await twoSnapshots();
    const restarted = providerRates(after, { ...before, at: after.at + 5000 }, 'stripe');
    expect(restarted.callsPerSecond).toBeCloseTo(100 / 5, 9);
  });

  it('pick the worst breaker state, the window\'s start, and the same quantile as the server', () => {
    expect(worstBreaker({ a: 'closed', b: 'open', c: 'half_open' })).toBe('open');
    expect(worstBreaker({ a: 'closed', b: 'half_open' })).toBe('half_open');
    expect(worstBreaker({})).toBe('unknown');
    const at = (ms: number) => ({ at: ms }) as OpsSnapshot;
    const history = [at(0), at(1000), at(2000), at(6000), at(7000)];
    expect(windowStart(history, 5).at).toBe(2000);
    expect(windowStart(history, 60).at).toBe(0);
    expect(quantile(0.75, [[0.1, 50], [0.2, 100], [null, 100]])).toBeCloseTo(0.15, 9);
    expect(quantile(0.99, [[1, 1], [null, 10]])).toBe(1);
    expect(quantile(0.5, [])).toBeNull();
  });
});
