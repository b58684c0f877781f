import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/ops/metrics.ts';

describe('the process series', () => {
  it('are collected once per process: a second gateway\'s registry serves the same series, not a second GC observer', async () => {
    const first = createMetrics();
    const second = createMetrics();
    for (const name of ['nodejs_gc_duration_seconds', 'nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes']) {
      const metric = first.registry.getSingleMetric(name);
      expect(metric, name).toBeDefined();
      expect(second.registry.getSingleMetric(name), name).toBe(metric);
    }
    // The gateway's own series stay its own.
    expect(second.registry.getSingleMetric('tributary_upstream_requests_total')).not.toBe(first.registry.getSingleMetric('tributary_upstream_requests_total'));
    const text = await second.registry.metrics();
    expect(text.match(/^# TYPE process_resident_memory_bytes /gm)).toHaveLength(1);
    expect(text).toContain('# TYPE tributary_upstream_requests_total counter');
  });
});
