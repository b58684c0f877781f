import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatasetLookup } from '../../src/simulators/dataset/dataset-lookup.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { scrape, total, type Sample } from '../support/prometheus-text.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

const PROVIDERS = ['customers', 'stripe', 'hubspot'] as const;

describe('GET /metrics after a Customer 360 page', () => {
  let stack: GatewayStack;
  const metrics = async (): Promise<Sample[]> => {
    const scraped = await scrape(stack.gateway.metricsUrl!);
    expect(scraped.status).toBe(200);
    return scraped.samples;
  };

  beforeAll(async () => {
    stack = await GatewayStack.start();
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetAll());

  it('counts as many upstream requests per provider as each simulator answered', async () => {
    const before = await metrics();
    const response = await stack.query(CUSTOMER_360, { first: 50 });
    expect(response.errors).toBeUndefined();
    const after = await metrics();
    for (const provider of PROVIDERS) {
      const counted = total(after, 'tributary_upstream_requests_total', { provider }) - total(before, 'tributary_upstream_requests_total', { provider });
      const stats = await stack.simStats(provider);
      expect(stats.requests).toBeGreaterThan(0);
      expect({ provider, counted }).toEqual({ provider, counted: stats.requests });
      expect(total(after, 'tributary_upstream_requests_total', { provider, status_class: '2xx', outcome: 'ok' })).toBeGreaterThan(0);
      expect(total(after, 'tributary_upstream_request_duration_seconds_count', { provider })).toBeGreaterThan(0);
      expect(total(after, 'tributary_upstream_response_bytes_total', { provider })).toBeGreaterThan(0);
      expect(total(after, 'tributary_cache_lookups_total', { provider, outcome: 'miss' })).toBeGreaterThan(0);
      expect(total(after, 'tributary_quota_limit', { provider, tenant: 'sample' })).toBeGreaterThan(0);
      expect(total(after, 'tributary_breaker_state', { provider, tenant: 'sample' })).toBe(0);
    }
    // Every attempt names the resource it read, none falls back to `other`.
    const resources = new Set(after.filter((s) => s.name === 'tributary_upstream_requests_total').map((s) => s.labels['resource']));
    expect([...resources].sort()).toEqual(expect.arrayContaining(['customers.page', 'stripe.charges', 'hubspot.contact']));
    expect(resources).not.toContain('other');
    expect(total(after, 'tributary_graphql_requests_total', { operation: 'Customer360', type: 'query' }) - total(before, 'tributary_graphql_requests_total', { operation: 'Customer360', type: 'query' })).toBe(1);
    expect(total(after, 'tributary_graphql_upstream_calls_sum', { operation: 'Customer360' }) - total(before, 'tributary_graphql_upstream_calls_sum', { operation: 'Customer360' })).toBe(
      (await Promise.all(PROVIDERS.map((p) => stack.simStats(p)))).reduce((sum, stats) => sum + stats.requests, 0),
    );
    expect(total(after, 'tributary_graphql_estimated_cost_count', { operation: 'Customer360' })).toBeGreaterThan(0);
    expect(total(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts entity cache hits on a warm page, and result-cache replays as requests', async () => {
    await stack.query(CUSTOMER_360, { first: 50 });
    const before = await metrics();
    // Another text: not the kept answer, but the same entities, all fresh in the entity cache.
    const again = CUSTOMER_360.replace('query Customer360', 'query Customer360Again');
    const warm = await stack.query(again, { first: 50 });
    expect(warm.errors).toBeUndefined();
    const afterWarm = await metrics();
    for (const provider of PROVIDERS) {
      expect(total(afterWarm, 'tributary_cache_lookups_total', { provider, outcome: 'hit' }) - total(before, 'tributary_cache_lookups_total', { provider, outcome: 'hit' })).toBeGreaterThan(0);
      expect(total(afterWarm, 'tributary_upstream_requests_total', { provider }) - total(before, 'tributary_upstream_requests_total', { provider })).toBe(0);
    }
    // The same page again is replayed whole, and still counts as a Customer360 request.
    await stack.query(again, { first: 50 });
    const afterReplay = await metrics();
    expect(total(afterReplay, 'tributary_result_cache_lookups_total', { outcome: 'hit' }) - total(afterWarm, 'tributary_result_cache_lookups_total', { outcome: 'hit' })).toBe(1);
    expect(total(afterReplay, 'tributary_graphql_requests_total', { operation: 'Customer360Again', type: 'query' })).toBe(2);
    expect(total(afterReplay, 'tributary_graphql_request_duration_seconds_count', { operation: 'Customer360Again' })).toBe(2);
    expect(total(afterReplay, 'tributary_graphql_upstream_calls_count', { operation: 'Customer360Again' })).toBe(2);
    expect(total(afterReplay, 'tributary_graphql_upstream_calls_sum', { operation: 'Customer360Again' })).toBe(0);
  });
  it('counts the webhooks a provider sent, and shows the event log drained', async () => {
    const lookup = new DatasetLookup(stack.dataset);
    const charge = stack.dataset.customers.flatMap((c) => lookup.chargesOf(c.id)).find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
    const before = await metrics();
    const response = await request(new URL('/_sim/mutate', stack.simulators.stripe.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'refund', charge: charge.id }) });
    expect(response.statusCode).toBe(200);
    await response.body.dump();
    await stack.simulators.stripe.webhooks.settled();
    await eventually(async () => (await stack.gateway.events.log.backlog()) === 0);
    const after = await metrics();
    const accepted = (samples: Sample[]) => total(samples, 'tributary_webhooks_received_total', { provider: 'stripe', result: 'accepted' });
    const stored = (stack.gateway.events.counters.snapshot()['stripe'] as { stored: number }).stored;
    expect(accepted(after) - accepted(before)).toBeGreaterThan(0);
    expect(accepted(after)).toBe(stored);
    expect(total(after, 'tributary_events_backlog')).toBe(0);
    expect(total(after, 'tributary_events_dead_letters')).toBe(0);
    expect(after.some((s) => s.name === 'tributary_writes_backlog')).toBe(true);
  });
});

describe('GET /metrics while a provider is down', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    // One attempt per call, and a breaker that opens on the first failures whatever the call rate.
    stack = await GatewayStack.start({ RETRY_MAX_ATTEMPTS: '1', BREAKER_MIN_CALLS_PER_SECOND: '0', BREAKER_HALF_OPEN_AFTER_MS: '3600000' });
  });
  afterAll(() => stack.close());

  it('shows the open circuit (state 2), its transition, the failed attempts and the refusals', async () => {
    await stack.simAdmin('stripe', 'faults', { outage: true });
    await stack.query(CUSTOMER_360, { first: 10 });
    await stack.query(CUSTOMER_360, { first: 11 });
    const { samples } = await scrape(stack.gateway.metricsUrl!);
    expect(total(samples, 'tributary_breaker_state', { provider: 'stripe', tenant: 'sample' })).toBe(2);
    expect(total(samples, 'tributary_breaker_state', { provider: 'customers', tenant: 'sample' })).toBe(0);
    expect(total(samples, 'tributary_breaker_transitions_total', { provider: 'stripe', to: 'open' })).toBe(1);
    expect(total(samples, 'tributary_upstream_requests_total', { provider: 'stripe', status_class: '5xx', outcome: 'error' })).toBe((await stack.simStats('stripe')).requests);
    expect(total(samples, 'tributary_upstream_refusals_total', { provider: 'stripe', reason: 'breaker_open' })).toBeGreaterThan(0);
    expect(total(samples, 'tributary_graphql_errors_total', { operation: 'Customer360', code: 'UPSTREAM_UNAVAILABLE' })).toBeGreaterThan(0);
  });
});
