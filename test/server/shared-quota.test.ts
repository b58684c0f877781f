import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack, type GraphQLResponse } from '../support/gateway-stack.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../support/redis.ts';

const redisUp = await redisForTests();

const LIMIT = 10; // HubSpot requests per window, for the simulator and the gateways alike
const WINDOW_MS = 1000;
const DURATION_MS = 3000;
const OFFERED_PER_SECOND = 10 * LIMIT;

describe.skipIf(!redisUp)('three gateway instances sharing one Redis, offered ten times HubSpot\'s limit', () => {
  let simulators: SimulatorSet;
  const gateways: GatewayStack[] = [];

  beforeAll(async () => {
    simulators = await startSimulators();
    await fetch(`${simulators.hubspot.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rateLimit: { limit: LIMIT, windowMs: WINDOW_MS } }),
    });
    const env = {
      REDIS_URL,
      CACHE_KEY_PREFIX: uniquePrefix('quota'),
      CACHE_ENABLED: 'false', // every request needs HubSpot
      HUBSPOT_RATE_LIMIT: String(LIMIT),
      HUBSPOT_RATE_WINDOW_MS: String(WINDOW_MS),
      QUOTA_MAX_WAIT_MS: '250',
    };
    for (let i = 0; i < 3; i += 1) gateways.push(await GatewayStack.startRemote(simulators, env));
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await simulators?.close();
  });

  it('receive no 429 from it; every request succeeds or fails with UPSTREAM_RATE_LIMITED', async () => {
    const contacts = simulators.dataset.hubspot.contacts;
    const query = `query($id: ID!) { node(id: $id) { ... on CrmContact { email } } }`;
    const pending: Array<Promise<GraphQLResponse<{ node: { email: string } | null }>>> = [];
    const started = Date.now();
    for (let tick = 0; Date.now() - started < DURATION_MS; tick += 1) {
      for (let i = 0; i < OFFERED_PER_SECOND / 10; i += 1) {
        const n = pending.length;
        pending.push(gateways[n % 3]!.query(query, { id: toGlobalId('CrmContact', contacts[n % contacts.length]!.id) }));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const responses = await Promise.all(pending);
    const elapsedMs = Date.now() - started;

    let succeeded = 0;
    let limited = 0;
    for (const response of responses) {
      if (response.data?.node) {
        succeeded += 1;
        continue;
      }
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', provider: 'hubspot' });
      expect(response.errors?.[0]?.extensions?.['retryAfter']).toBeGreaterThanOrEqual(1);
      limited += 1;
    }
    const stats = (await (await fetch(`${simulators.hubspot.url}/_sim/stats`)).json()) as { requests: number; rateLimited: number };
    expect(responses.length).toBeGreaterThanOrEqual(OFFERED_PER_SECOND * 2);
    expect(stats.rateLimited).toBe(0);
    expect(succeeded).toBe(stats.requests);
    expect(limited).toBeGreaterThan(0);
    // Within the limit: at most LIMIT per window over the run, counting a partial last window.
    expect(stats.requests).toBeLessThanOrEqual(LIMIT * (Math.ceil(elapsedMs / WINDOW_MS) + 1));
    expect(succeeded).toBeGreaterThanOrEqual(LIMIT * 2);
  });
});
