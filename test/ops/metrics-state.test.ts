import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterCells } from '../../src/ops/counter-cells.ts';
import { createMetrics, type MetricSources } from '../../src/ops/metrics.ts';
import type { UpstreamGauges } from '../../src/upstream/upstream-client.ts';
import { parseExposition, total } from '../support/prometheus-text.ts';

const client = (overrides: Partial<UpstreamGauges> = {}): UpstreamGauges => ({
  breaker: { kind: 'closed' },
  quota: { limit: 100, remaining: 60, resetInMs: 1500 },
  inFlight: 0,
  queued: 0,
  ...overrides,
});

const backlog = (count: number | Error) => {
  const read = () => (count instanceof Error ? Promise.reject(count) : Promise.resolve(count));
  return { backlog: read, deadLetters: { count: read } };
};

function sources(events: ReturnType<typeof backlog>): MetricSources {
  return {
    tenants: () => [
      ['acme', { customers: client({ inFlight: 2, queued: 1 }), stripe: client({ breaker: { kind: 'open', since: 0, probeAt: 1 } }), hubspot: client({ breaker: { kind: 'half-open', probing: true } }) }],
      ['globex', { customers: client({ inFlight: 3 }), stripe: client(), hubspot: client() }],
    ],
    events,
    writes: backlog(4),
    webhookTotals: () => [{ provider: 'stripe', accepted: 5, duplicate: 2, rejected: 1 }],
  };
}

describe('series read at scrape time', () => {
  it('shows each tenant\'s breakers and quotas, and each provider\'s bulkheads summed over tenants', async () => {
    const metrics = createMetrics();
    metrics.watch(sources(backlog(7)));
    const samples = parseExposition(await metrics.registry.metrics());
    expect(total(samples, 'tributary_breaker_state', { provider: 'stripe', tenant: 'acme' })).toBe(2);
    expect(total(samples, 'tributary_breaker_state', { provider: 'hubspot', tenant: 'acme' })).toBe(1);
    expect(total(samples, 'tributary_breaker_state', { provider: 'stripe', tenant: 'globex' })).toBe(0);
    expect(total(samples, 'tributary_quota_remaining', { provider: 'customers', tenant: 'globex' })).toBe(60);
    expect(total(samples, 'tributary_quota_reset_seconds', { provider: 'customers', tenant: 'globex' })).toBe(1.5);
    expect(total(samples, 'tributary_bulkhead_in_flight', { provider: 'customers' })).toBe(5);
    expect(total(samples, 'tributary_bulkhead_queued', { provider: 'customers' })).toBe(1);
    expect(total(samples, 'tributary_events_backlog')).toBe(7);
    expect(total(samples, 'tributary_writes_dead_letters')).toBe(4);
    expect(total(samples, 'tributary_webhooks_received_total', { provider: 'stripe', result: 'duplicate' })).toBe(2);
  });

  it('leaves a backlog without a value when its store fails, and the scrape still succeeds', async () => {
    const metrics = createMetrics();
    metrics.watch(sources(backlog(new Error('Redis is away'))));
    const samples = parseExposition(await metrics.registry.metrics());
    expect(samples.some((s) => s.name === 'tributary_events_backlog' || s.name === 'tributary_events_dead_letters')).toBe(false);
    expect(total(samples, 'tributary_writes_backlog')).toBe(4);
  });

  it('keeps each gateway\'s series apart: two registries in one process', async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.telemetry.cacheLookup('stripe', 'stripe.charges', 'hit', 3);
    expect(total(parseExposition(await one.registry.metrics()), 'tributary_cache_lookups_total', { resource: 'stripe.charges', outcome: 'hit' })).toBe(3);
    expect(total(parseExposition(await two.registry.metrics()), 'tributary_cache_lookups_total')).toBe(0);
  });
});

describe('CounterCells', () => {
  it('adds into the counter what was counted since the last collect, once', async () => {
    const registry = new Registry();
    let cells: CounterCells | undefined;
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'], registers: [registry], collect: () => cells?.flush() });
    cells = new CounterCells(counter, ['a', 'b']);
    cells.add(2, 'x', 'y');
    cells.cell('x', 'y').value += 1;
    cells.add(5, 'x', 'z');
    expect(total(parseExposition(await registry.metrics()), 'c_total', { a: 'x', b: 'y' })).toBe(3);
    expect(total(parseExposition(await registry.metrics()), 'c_total', { a: 'x', b: 'y' })).toBe(3);
    cells.add(1, 'x', 'y');
    expect(total(parseExposition(await registry.metrics()), 'c_total')).toBe(9);
  });
});
