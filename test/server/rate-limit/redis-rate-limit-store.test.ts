import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientRateLimiter } from '../../../src/server/rate-limit/client-rate-limiter.ts';
import { MemoryRateLimitStore } from '../../../src/server/rate-limit/memory-rate-limit-store.ts';
import { RedisRateLimitStore } from '../../../src/server/rate-limit/redis-rate-limit-store.ts';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import { eventually } from '../../support/eventually.ts';
import { PrivateRedis, redisForTests } from '../../support/redis.ts';

const quiet = { warn: () => undefined, info: () => undefined };
// Needs redis-server on the PATH; the same condition as the shared Redis suites.
const redisUp = await redisForTests();

describe.skipIf(!redisUp)('the shared rate-limit store while Redis is away', () => {
  let redis: PrivateRedis;
  let connection: RedisConnection;
  let limiter: ClientRateLimiter;
  const who = { tenantId: 'acme', clientId: 'dash' };
  const one = { requests: 1, cost: 0 };

  beforeAll(async () => {
    redis = await PrivateRedis.start({ debugCommand: true });
    connection = new RedisConnection({ url: redis.url, commandTimeoutMs: 100, probeIntervalMs: 20, logger: quiet });
    await connection.connect();
    const store = new RedisRateLimitStore({ redis: connection, keyPrefix: 'test:v1:ratelimit', fallback: new MemoryRateLimitStore() });
    limiter = new ClientRateLimiter({ store, defaults: { clientRequests: 3, clientCost: 0, tenantRequests: 0, tenantCost: 0 }, windowMs: 600_000 });
  });
  afterAll(async () => {
    await connection?.close();
    await redis?.stop();
  });

  it('keeps one tenant\'s keys under one hash tag, so they share a Redis Cluster slot', async () => {
    const tenant = { tenantId: 'tag{s}', clientId: 'a/b' };
    const limits = new ClientRateLimiter({
      store: new RedisRateLimitStore({ redis: connection, keyPrefix: 'test:v1:ratelimit', fallback: new MemoryRateLimitStore() }),
      defaults: { clientRequests: 5, clientCost: 5, tenantRequests: 5, tenantCost: 5 },
      windowMs: 600_000,
    });
    await limits.consume(tenant, { requests: 1, cost: 1 });
    const keys = (await redis.keys()).filter((key) => key.includes('tag'));
    expect(keys).toEqual([
      'test:v1:ratelimit:{tag%7Bs%7D}:client:a%2Fb:cost:5/600000',
      'test:v1:ratelimit:{tag%7Bs%7D}:client:a%2Fb:requests:5/600000',
      'test:v1:ratelimit:{tag%7Bs%7D}:tenant:cost:5/600000',
      'test:v1:ratelimit:{tag%7Bs%7D}:tenant:requests:5/600000',
    ]);
  });

  it('answers from the in-process budgets when Redis stalls, without holding the request', async () => {
    let stallEnded = false;
    const stalled = redis.stall(3).then(() => (stallEnded = true));
    await new Promise((resolve) => setTimeout(resolve, 20)); // let DEBUG SLEEP reach Redis first
    const decision = await limiter.consume({ tenantId: 'stall', clientId: 'dash' }, one);
    // Answered after the 100 ms command timeout, long before Redis wakes.
    expect([decision.allowed, stallEnded]).toEqual([true, false]);
    await stalled;
  });

  it('goes on limiting in process while Redis is down, and shares the budgets in Redis again once it is back', async () => {
    await eventually(async () => connection.available);
    expect((await limiter.consume(who, one)).allowed).toBe(true);
    expect((await redis.keys()).some((key) => key.includes('{acme}'))).toBe(true);

    await redis.stop();
    // Each instance now limits alone, on a budget of its own: three more, then refused.
    for (let i = 0; i < 3; i += 1) expect((await limiter.consume(who, one)).allowed).toBe(true);
    expect(await limiter.consume(who, one)).toMatchObject({ allowed: false, retryAfterSeconds: 200, refusedBy: 'client-requests' });

    await redis.start(); // an empty Redis: nothing was persisted
    await eventually(async () => connection.available);
    expect((await limiter.consume(who, one)).allowed).toBe(true);
    expect((await redis.keys()).some((key) => key.includes('{acme}'))).toBe(true);
  });
});
