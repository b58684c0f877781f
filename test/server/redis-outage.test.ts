import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { PrivateRedis, redisForTests } from '../support/redis.ts';

// Needs redis-server on the PATH; the same condition as the shared Redis suites.
const redisUp = await redisForTests();

async function keysIn(url: string): Promise<string[]> {
  const client = createClient({ url });
  await client.connect();
  const keys = await client.keys('*');
  await client.close();
  return keys;
}

async function readyz(stack: GatewayStack): Promise<{ redis?: string }> {
  return (await (await fetch(new URL('/readyz', stack.url))).json()) as { redis?: string };
}

describe.skipIf(!redisUp)('when Redis stops in the middle of a run', () => {
  let redis: PrivateRedis;
  let stack: GatewayStack;
  const query = `query($id: ID!) { customer(id: $id) { name payments(first: 1) { edges { cursor } } crmContact { email } } }`;
  const customerId = (n: number) => toGlobalId('Customer', stack.dataset.customers[n]!.id);

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await GatewayStack.start({ REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200' });
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('goes on answering from the in-process cache and local quotas, and uses Redis again once it is back', async () => {
    const first = await stack.query(query, { id: customerId(1) });
    expect(first.errors).toBeUndefined();
    expect((await keysIn(redis.url)).length).toBeGreaterThan(0);

    await redis.stop();
    // Cached before the outage: still answered, from the local copy, without upstream calls.
    const cached = await stack.query(query, { id: customerId(1) });
    expect(cached.data).toEqual(first.data);
    expect(cached.extensions?.upstream).toMatchObject({ customers: { calls: 0 }, stripe: { calls: 0 } });
    // Not cached: fetched from the providers under the local share of the quota, which first
    // waits out one window (the shared one may have been full): the customer service and Stripe
    // (1 s windows) within the call's quota wait, HubSpot (10 s) not, so its fields say so.
    for (let n = 2; n < 6; n += 1) {
      const answer = await stack.query<{ customer: { name: string; payments: unknown } | null }>(query, { id: customerId(n) });
      expect(answer.data?.customer?.name).toBeTruthy();
      expect(answer.data?.customer?.payments).not.toBeNull();
      for (const error of answer.errors ?? []) expect(error.extensions).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', provider: 'hubspot' });
    }
    expect((await readyz(stack)).redis).toBe('down');
    const downLogs = stack.logs.filter((line) => line.includes('redis unavailable'));
    expect(downLogs).toHaveLength(1);

    await redis.start();
    const deadline = Date.now() + 10_000;
    while ((await readyz(stack)).redis !== 'up' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await readyz(stack)).redis).toBe('up');
    expect(stack.logs.filter((line) => line.includes('redis is back'))).toHaveLength(1);

    const after = await stack.query(query, { id: customerId(7) });
    expect(after.errors).toBeUndefined();
    const keys = await keysIn(redis.url);
    expect(keys.some((key) => key.endsWith(`customer:${stack.dataset.customers[7]!.id}`))).toBe(true);
    expect(keys.some((key) => key.includes(':quota:'))).toBe(true);
  });
});
