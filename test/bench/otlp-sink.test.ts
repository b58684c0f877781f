import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startOtlpSink } from '../../bench/otlp-sink.ts';
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/server/create-gateway.ts';
import { simulatorEndpoints } from '../../src/server/start.ts';
import { startSimulators } from '../../src/simulators/index.ts';

describe('the OTLP sink the CPU bench prices tracing against', () => {
  it('receives the spans of a gateway whose OTEL_EXPORTER_OTLP_ENDPOINT names it, sent at the latest when the gateway closes', async () => {
    const sink = await startOtlpSink();
    const simulators = await startSimulators({ host: '127.0.0.1' });
    try {
      const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url });
      const gateway = await createGateway({ config, tenants: [{ id: config.defaultTenantId, rateLimits: config.rateLimits, endpoints: simulatorEndpoints(simulators) }] });
      const response = await request(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(response.statusCode).toBe(200);
      await response.body.dump();
      // Batched: nothing need have gone yet; closing flushes what is buffered.
      await gateway.close();
      expect(sink.received().requests).toBeGreaterThan(0);
      expect(sink.received().bytes).toBeGreaterThan(0);
    } finally {
      await simulators.close();
      await sink.close();
    }
  });
});
