import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuotaGuard, type Quota } from '../../../src/upstream/quota/quota-guard.ts';
import { SharedQuota } from '../../../src/upstream/quota/shared-quota.ts';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import type { RedisTarget } from '../../../src/upstream/redis/redis-client.ts';
import { RedisClusterForTests, redisClusterForTests } from '../../support/redis-cluster.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';

const quiet = { warn: () => undefined, info: () => undefined };
const redisUp = await redisForTests();

interface Budget {
  limit: number;
  windowMs: number;
  maxWaitMs: number;
}

/**
 * The same contract for every quota, local and shared, the way undici tests its cache stores.
 * Real time with a small window, but no assertion on how long anything took: only on how many
 * went, in what order, and who was refused. (The one timing check is a lower bound the guard
 * keeps with its guarded window's 50 ms to spare.)
 */
function quotaContract(name: string, setup: () => Promise<{ make(budget: Budget): Quota; close(): Promise<void> }>, skip = false) {
  describe.skipIf(skip)(`${name} quota contract`, () => {
    let make: (budget: Budget) => Quota;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ make, close } = await setup());
    });
    afterAll(() => close());

    /** Asks in order; records, in the order they happen, who went and who was refused. A caller that went is answered at once. */
    function callers(quota: Quota) {
      const events: string[] = [];
      const ask = (who: string, maxWaitMs?: number, fairnessKey?: string) =>
        quota.acquire(maxWaitMs, fairnessKey).then(
          () => {
            events.push(`${who} went`);
            quota.settle();
          },
          (error: { code?: string }) => void events.push(`${who} refused ${error.code}`),
        );
      return { ask, events };
    }

    it('MUST tell what is left of its window without waiting (snapshot), requests in flight counted', async () => {
      const quota = make({ limit: 3, windowMs: 60_000, maxWaitMs: 0 });
      expect(quota.snapshot()).toEqual({ limit: 3, remaining: 3, resetInMs: 0 });
      await quota.acquire();
      await quota.acquire();
      quota.settle();
      const two = quota.snapshot();
      expect(two).toMatchObject({ limit: 3, remaining: 1 });
      // The oldest counted request leaves one (guarded) window after it was counted, not sooner.
      expect(two.resetInMs).toBeGreaterThan(0);
      expect(two.resetInMs).toBeLessThanOrEqual(66_000);
      await quota.acquire();
      expect(quota.snapshot().remaining).toBe(0);
      quota.settle();
      quota.settle();
    });

    it('MUST never let more than `limit` requests go within one window', async () => {
      const quota = make({ limit: 3, windowMs: 200, maxWaitMs: 5000 });
      const starts: number[] = [];
      await Promise.all(
        Array.from({ length: 10 }, () =>
          quota.acquire().then(() => {
            starts.push(performance.now());
            quota.settle();
          }),
        ),
      );
      expect(starts).toHaveLength(10);
      starts.sort((a, b) => a - b);
      for (let i = 3; i < starts.length; i += 1) expect(starts[i]! - starts[i - 3]!).toBeGreaterThanOrEqual(200);
    });

    it('MUST count a request as sent until it is settled, and free its slot one window after that', async () => {
      // Guarded window 70 ms. Whatever delays a request on its way, it has reached the provider
      // by the time its answer is back: the next one goes a window after that, not after the first was let go.
      const quota = make({ limit: 1, windowMs: 20, maxWaitMs: 5000 });
      await quota.acquire();
      let wentAt: number | undefined;
      const next = quota.acquire().then(() => {
        wentAt = performance.now();
        quota.settle();
      });
      for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setTimeout(resolve, 30)); // > 70 ms
      expect(wentAt).toBeUndefined();
      const settledAt = performance.now();
      quota.settle();
      await next;
      // Redis's clock has whole milliseconds: a millisecond to spare.
      expect(wentAt! - settledAt).toBeGreaterThanOrEqual(69);
    });

    it('MUST serve one key\'s waiting callers in the order they asked (FIFO)', async () => {
      const quota = make({ limit: 1, windowMs: 100, maxWaitMs: 5000 });
      const { ask, events } = callers(quota);
      await Promise.all(['c0', 'c1', 'c2', 'c3', 'c4'].map((who) => ask(who)));
      expect(events).toEqual(['c0 went', 'c1 went', 'c2 went', 'c3 went', 'c4 went']);
    });

    it('MUST accept, after a burst, every caller that fits at the window\'s rollover', async () => {
      // The burst's slots free one guarded window (250 ms) later, all at once: three followers
      // fit within a 300 ms maxWait, though an even spread would put the third 417 ms away.
      const quota = make({ limit: 3, windowMs: 200, maxWaitMs: 300 });
      const { ask, events } = callers(quota);
      await Promise.all(['b0', 'b1', 'b2'].map((who) => ask(who)));
      await Promise.all(['f0', 'f1', 'f2'].map((who) => ask(who)));
      // Callers let go at the same rollover may settle in any order (the FIFO test uses limit 1).
      expect(events.slice(3).sort()).toEqual(['f0 went', 'f1 went', 'f2 went']);
    });

    it('MUST refuse, at once, only the caller whose exact wait exceeds its maxWait', async () => {
      // Slots: the followers a and b at the rollover (~250 ms), c one window after (~500 ms).
      const quota = make({ limit: 2, windowMs: 200, maxWaitMs: 300 });
      const { ask, events } = callers(quota);
      await Promise.all(['b0', 'b1'].map((who) => ask(who)));
      await Promise.all(['a', 'b', 'c'].map((who) => ask(who)));
      expect(events.slice(0, 3)).toEqual(['b0 went', 'b1 went', 'c refused UPSTREAM_RATE_LIMITED']);
      expect(events.slice(3).sort()).toEqual(['a went', 'b went']);
    });

    it('MUST serve a quiet key\'s newcomer within the next round, ahead of a flooding key\'s 50 waiters', async () => {
      // f0..f9 go at once; f10..f49 wait, ten a window. The newcomer asks after all fifty and
      // goes right after f10, in the first rollover's ten, where FIFO would put it after f49.
      const quota = make({ limit: 10, windowMs: 100, maxWaitMs: 5000 });
      const { ask, events } = callers(quota);
      const flood = Array.from({ length: 50 }, (_, i) => ask(`f${i}`, undefined, 't/flood'));
      const quiet = ask('quiet', undefined, 't/quiet');
      await Promise.all([...flood, quiet]);
      expect(events).toHaveLength(51);
      expect(events.indexOf('quiet went')).toBeGreaterThan(events.indexOf('f9 went'));
      expect(events.indexOf('quiet went')).toBeLessThan(events.indexOf('f19 went'));
    });

    it('MUST count callers without a fairness key as one key', async () => {
      const quota = make({ limit: 10, windowMs: 100, maxWaitMs: 5000 });
      const { ask, events } = callers(quota);
      const background = Array.from({ length: 30 }, (_, i) => ask(`b${i}`));
      const quiet = ask('quiet', undefined, 't/quiet');
      await Promise.all([...background, quiet]);
      expect(events.indexOf('quiet went')).toBeLessThan(events.indexOf('b19 went'));
    });

    it('MUST refuse with retryAfter while the provider asked for a pause longer than maxWait', async () => {
      const quota = make({ limit: 10, windowMs: 200, maxWaitMs: 300 });
      quota.pause(1500);
      quota.settle(); // nothing in flight: no effect
      await expect(quota.acquire()).rejects.toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', retryAfter: 2, byGateway: true });
    });
  });
}

quotaContract('local', async () => ({
  make: (budget) => new QuotaGuard({ provider: 'stripe', ...budget }),
  close: async () => undefined,
}));

/** The shared quota on one Redis, and on a 3-master Redis Cluster of the suite's own. */
const clusterTools = await redisClusterForTests();
const sharedOn = (target: () => Promise<RedisTarget & { stop?(): Promise<void> }>) => async () => {
  const { stop, ...where } = await target();
  const redis = new RedisConnection({ ...where, commandTimeoutMs: 1000, logger: quiet });
  await redis.connect();
  // The local guard would pass this contract on its own: make falling back to it fail instead,
  // so these suites hold for the quota kept in Redis.
  const fallbackRefused = (budget: Budget) => {
    const guard = new QuotaGuard({ provider: 'stripe', ...budget });
    guard.acquire = () => Promise.reject(new Error('fell back to the local guard: Redis did not answer'));
    return guard;
  };
  return {
    make: (budget: Budget) =>
      new SharedQuota({
        provider: 'stripe',
        ...budget,
        redis,
        key: `${uniquePrefix('quota-contract')}:v2:quota:{stripe:t}`,
        fallback: fallbackRefused(budget),
      }),
    close: async () => {
      await redis.close();
      await stop?.();
    },
  };
};

quotaContract('shared (Redis)', sharedOn(async () => ({ url: REDIS_URL })), !redisUp);

quotaContract(
  'shared (Redis Cluster)',
  sharedOn(async () => {
    const cluster = await RedisClusterForTests.start();
    return { clusterNodes: cluster.nodes, stop: () => cluster.stop() };
  }),
  !clusterTools,
);
