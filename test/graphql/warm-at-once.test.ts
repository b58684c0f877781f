import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';
import { startSeededSimulators } from '../support/seeded-simulators.ts';

/**
 * A warm page's entities are read at once (EntityCache.freshNow, LoaderWithNow), not through
 * DataLoader's promises, except in a traced operation, whose batches are spans: both must give
 * the same answer and the same upstream report.
 */
describe('a warm Customer 360 page read at once', () => {
  let simulators: SimulatorSet;
  let sink: Server;
  let atOnce: GatewayStack;
  let throughLoaders: GatewayStack;
  beforeAll(async () => {
    simulators = await startSeededSimulators();
    // Traces go to an OTLP endpoint that takes them and keeps nothing.
    sink = createServer((request, response) => request.resume().on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const env = { RESULT_CACHE_MAX_BYTES: '0', LOG_LEVEL: 'warn' };
    atOnce = await GatewayStack.startRemote(simulators, env);
    throughLoaders = await GatewayStack.startRemote(simulators, { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/traces` });
  });
  afterAll(async () => {
    await atOnce?.close();
    await throughLoaders?.close();
    await new Promise((resolve) => sink?.close(resolve));
    await simulators?.close();
  });

  it('answers and reports as the loaders do, and calls no provider', async () => {
    const variables = { first: 50, after: null };
    const [cold, coldTraced] = [await atOnce.query(CUSTOMER_360, variables), await throughLoaders.query(CUSTOMER_360, variables)];
    const [warm, warmTraced] = [await atOnce.query(CUSTOMER_360, variables), await throughLoaders.query(CUSTOMER_360, variables)];
    for (const answer of [cold, coldTraced, warm, warmTraced]) expect(answer.errors).toBeUndefined();
    expect(warm.data).toEqual(cold.data);
    expect(warmTraced.data).toEqual(cold.data);
    expect(warm.extensions!.upstream).toEqual(warmTraced.extensions!.upstream);
    for (const provider of ['customers', 'stripe', 'hubspot'] as const) {
      expect(warm.extensions!.upstream![provider]).toMatchObject({ calls: 0, cacheMisses: 0 });
      expect(warm.extensions!.upstream![provider].cacheHits, provider).toBeGreaterThan(0);
    }
  });
});
