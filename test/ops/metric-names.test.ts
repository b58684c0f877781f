import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/ops/metrics.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { scrape } from '../support/prometheus-text.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

/** The contract with the alert rules, Grafana and the /ops page (ops/metric-names.json). */
interface MetricNames {
  metrics: Record<string, { type: string; labels?: Record<string, string[] | null>; buckets?: number[] }>;
  defaultMetrics: { names: string[] };
}

const contract = JSON.parse(readFileSync(new URL('../../ops/metric-names.json', import.meta.url), 'utf8')) as MetricNames;

describe('the registry against ops/metric-names.json', () => {
  it('has every series of the contract with its type, label names and buckets, and no other tributary_ series', async () => {
    const { registry } = createMetrics();
    const exposed = new Map((await registry.getMetricsAsJSON()).map((metric) => [metric.name, metric]));
    for (const [name, spec] of Object.entries(contract.metrics)) {
      const metric = registry.getSingleMetric(name) as unknown as { labelNames?: string[]; upperBounds?: number[] } | undefined;
      expect({ name, type: exposed.get(name)?.type }).toEqual({ name, type: spec.type });
      expect({ name, labels: [...(metric?.labelNames ?? [])].sort() }).toEqual({ name, labels: Object.keys(spec.labels ?? {}).sort() });
      if (spec.buckets) expect({ name, buckets: metric?.upperBounds }).toEqual({ name, buckets: spec.buckets });
    }
    expect([...exposed.keys()].filter((name) => name.startsWith('tributary_')).sort()).toEqual(Object.keys(contract.metrics).sort());
    for (const name of contract.defaultMetrics.names) expect(exposed.has(name), name).toBe(true);
  });

  describe('over HTTP after a Customer 360 page', () => {
    let stack: GatewayStack;
    beforeAll(async () => {
      stack = await GatewayStack.start();
    });
    afterAll(() => stack.close());

    it('labels every sample with values the contract allows', async () => {
      await stack.query(CUSTOMER_360, { first: 50 });
      const { samples } = await scrape(stack.gateway.metricsUrl!);
      const checked = samples.filter((sample) => sample.name.startsWith('tributary_'));
      expect(checked.length).toBeGreaterThan(0);
      for (const sample of checked) {
        const name = Object.keys(contract.metrics).find((base) => sample.name === base || [`${base}_bucket`, `${base}_sum`, `${base}_count`].includes(sample.name));
        expect(name, sample.name).toBeDefined();
        for (const [label, value] of Object.entries(sample.labels)) {
          if (label === 'le' && sample.name.endsWith('_bucket')) continue;
          const allowed = contract.metrics[name!]!.labels?.[label];
          expect(allowed, `${sample.name} ${label}`).not.toBeUndefined();
          if (allowed !== null) expect(allowed, `${sample.name} ${label}="${value}"`).toContain(value);
        }
      }
    });
  });
});
