import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientRateLimiter, type RateLimitPolicy } from '../../../src/server/rate-limit/client-rate-limiter.ts';
import { MemoryRateLimitStore } from '../../../src/server/rate-limit/memory-rate-limit-store.ts';
import type { RateLimitStore } from '../../../src/server/rate-limit/rate-limit-store.ts';
import { RedisRateLimitStore } from '../../../src/server/rate-limit/redis-rate-limit-store.ts';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import type { RedisTarget } from '../../../src/upstream/redis/redis-client.ts';
import { RedisClusterForTests, redisClusterForTests } from '../../support/redis-cluster.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';

const quiet = { warn: () => undefined, info: () => undefined };
const redisUp = await redisForTests();

const UNLIMITED: RateLimitPolicy = { clientRequests: 0, clientCost: 0, tenantRequests: 0, tenantCost: 0 };
/** 600 s windows: with 3 units a unit comes back every 200 s, so a Redis call's few ms of real time never changes a whole-second answer. */
const WINDOW_MS = 600_000;

/**
 * The same contract for every store, the way undici tests its cache stores. `store(i)` is the
 * store of gateway instance i: one shared store for memory (one process), a Redis connection of
 * its own per instance for Redis. The memory store's clock stands still, Redis's runs: answers
 * are asserted in whole seconds, which a test's few milliseconds cannot change.
 */
function rateLimitContract(name: string, setup: () => Promise<{ store(instance: number): RateLimitStore; close(): Promise<void> }>, skip = false) {
  describe.skipIf(skip)(`${name} rate-limit store contract`, () => {
    let store: (instance: number) => RateLimitStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await setup());
    });
    afterAll(() => close());

    const limiter = (policy: Partial<RateLimitPolicy>, instance = 0) => new ClientRateLimiter({ store: store(instance), defaults: { ...UNLIMITED, ...policy }, windowMs: WINDOW_MS });
    /** Each test its own tenant, so tests share nothing. */
    const tenant = () => `t-${randomUUID().slice(0, 8)}`;
    const one = { requests: 1, cost: 0 };

    it('allows up to the limit, then refuses with the exact Retry-After and the RateLimit fields', async () => {
      const limits = limiter({ clientRequests: 3 });
      const who = { tenantId: tenant(), clientId: 'dash' };
      for (let i = 0; i < 3; i += 1) expect((await limits.consume(who, one)).allowed).toBe(true);
      const refused = await limits.consume(who, one);
      expect(refused).toEqual({
        allowed: false,
        retryAfterSeconds: 200,
        refusedBy: 'client-requests',
        headers: { 'Retry-After': '200', 'RateLimit-Policy': '"client-requests";q=3;w=600', RateLimit: '"client-requests";r=0;t=200' },
      });
    });

    it('tells an admitted request the most constrained budget: units left and seconds until it is whole', async () => {
      const limits = limiter({ clientRequests: 10, tenantRequests: 100, clientCost: 100 });
      const who = { tenantId: tenant(), clientId: 'dash' };
      const first = await limits.consume(who, { requests: 1, cost: 1 });
      expect(first.headers).toEqual({
        'RateLimit-Policy': '"client-requests";q=10;w=600, "client-cost";q=100;w=600, "tenant-requests";q=100;w=600',
        RateLimit: '"client-requests";r=9;t=60',
      });
      // 95 of 100 spent: 5 left (one more every 6 s), whole again in 95 × 6 s.
      const costly = await limits.consume(who, { requests: 0, cost: 94 });
      expect(costly.headers['RateLimit']).toBe('"client-cost";r=5;t=570');
    });

    it('spends nothing when any budget refuses: all or nothing across the four', async () => {
      const limits = limiter({ clientRequests: 10, clientCost: 5, tenantRequests: 10, tenantCost: 100 });
      const who = { tenantId: tenant(), clientId: 'dash' };
      expect((await limits.consume(who, { requests: 1, cost: 5 })).allowed).toBe(true);
      for (let i = 0; i < 5; i += 1) {
        const refused = await limits.consume(who, { requests: 1, cost: 1 });
        expect([refused.allowed, refused.refusedBy]).toEqual([false, 'client-cost']);
      }
      // Nine requests are left of ten in both request budgets only if the five refusals took none.
      const rest = await limits.consume(who, { requests: 9, cost: 0 });
      expect(rest.allowed).toBe(true);
      expect(rest.headers['RateLimit']).toBe('"client-requests";r=0;t=600');
      expect((await limits.consume(who, one)).refusedBy).toBe('client-requests');
    });

    it('shares a tenant\'s budget between its clients, and keeps each client\'s budget its own', async () => {
      const limits = limiter({ clientRequests: 2, tenantRequests: 3 });
      const acme = tenant();
      const a = { tenantId: acme, clientId: 'a' };
      const b = { tenantId: acme, clientId: 'b' };
      expect((await limits.consume(a, one)).allowed).toBe(true);
      expect((await limits.consume(a, one)).allowed).toBe(true);
      expect((await limits.consume(a, one)).refusedBy).toBe('client-requests');
      // a's spent client budget does not touch b's; their tenant's third request is b's.
      expect((await limits.consume(b, one)).allowed).toBe(true);
      expect((await limits.consume(b, one)).refusedBy).toBe('tenant-requests');
      // Another tenant's client with the same id is someone else.
      expect((await limits.consume({ tenantId: tenant(), clientId: 'a' }, one)).allowed).toBe(true);
    });

    it('shares the budgets between two gateway instances', async () => {
      const first = limiter({ clientRequests: 3 }, 0);
      const second = limiter({ clientRequests: 3 }, 1);
      const who = { tenantId: tenant(), clientId: 'dash' };
      expect((await first.consume(who, one)).allowed).toBe(true);
      expect((await second.consume(who, one)).allowed).toBe(true);
      expect((await first.consume(who, one)).allowed).toBe(true);
      expect(await second.consume(who, one)).toMatchObject({ allowed: false, retryAfterSeconds: 200 });
    });

    it('refuses an amount above the whole budget with a whole window, and never spends it', async () => {
      const limits = limiter({ clientCost: 10 });
      const who = { tenantId: tenant(), clientId: 'dash' };
      expect(await limits.consume(who, { requests: 0, cost: 11 })).toMatchObject({ allowed: false, retryAfterSeconds: 600, refusedBy: 'client-cost' });
      expect((await limits.consume(who, { requests: 0, cost: 10 })).allowed).toBe(true);
    });

    it('sends no RateLimit fields and asks no store when nothing is limited', async () => {
      const limits = new ClientRateLimiter({
        store: { consume: () => Promise.reject(new Error('the store was asked')) },
        defaults: UNLIMITED,
        windowMs: WINDOW_MS,
      });
      expect(await limits.consume({ tenantId: tenant(), clientId: 'dash' }, { requests: 1, cost: 50 })).toEqual({ allowed: true, retryAfterSeconds: 0, refusedBy: undefined, headers: {} });
    });

    it('applies a tenant\'s own budgets over the defaults', async () => {
      const generous = tenant();
      const limits = new ClientRateLimiter({
        store: store(0),
        defaults: { ...UNLIMITED, clientRequests: 1 },
        windowMs: WINDOW_MS,
        policyFor: (id) => (id === generous ? { clientRequests: 2 } : undefined),
      });
      const dash = { tenantId: generous, clientId: 'dash' };
      expect((await limits.consume(dash, one)).allowed).toBe(true);
      expect((await limits.consume(dash, one)).allowed).toBe(true);
      expect((await limits.consume(dash, one)).headers['RateLimit-Policy']).toBe('"client-requests";q=2;w=600');
      const other = { tenantId: tenant(), clientId: 'dash' };
      expect((await limits.consume(other, one)).allowed).toBe(true);
      expect((await limits.consume(other, one)).allowed).toBe(false);
    });
  });
}

rateLimitContract('memory', async () => {
  const shared = new MemoryRateLimitStore({ now: () => 1_700_000_000_000 });
  return { store: () => shared, close: async () => undefined };
});

/** The shared store on one Redis, and on a 3-master Redis Cluster (one tenant's keys, one slot). */
const clusterTools = await redisClusterForTests();
const sharedOn = (target: () => Promise<RedisTarget & { stop?(): Promise<void> }>) => async () => {
  const { stop, ...where } = await target();
  const connections: RedisConnection[] = [];
  for (let i = 0; i < 2; i += 1) {
    const redis = new RedisConnection({ ...where, commandTimeoutMs: 1000, logger: quiet });
    await redis.connect();
    connections.push(redis);
  }
  const keyPrefix = `${uniquePrefix('ratelimit-contract')}:v1:ratelimit`;
  // The memory store would pass this contract on its own: falling back to it fails instead, so
  // the suite holds for the budgets kept in Redis.
  const fallback: RateLimitStore = { consume: () => Promise.reject(new Error('fell back to the in-process store: Redis did not answer')) };
  return {
    store: (instance: number) => new RedisRateLimitStore({ redis: connections[instance]!, keyPrefix, fallback }),
    close: async () => {
      await Promise.all(connections.map((redis) => redis.close()));
      await stop?.();
    },
  };
};

rateLimitContract('Redis', sharedOn(async () => ({ url: REDIS_URL })), !redisUp);

rateLimitContract(
  'Redis Cluster',
  sharedOn(async () => {
    const cluster = await RedisClusterForTests.start();
    return { clusterNodes: cluster.nodes, stop: () => cluster.stop() };
  }),
  !clusterTools,
);
