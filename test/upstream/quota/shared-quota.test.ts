import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQuota } from '../../../src/upstream/quota/create-quota.ts';
import { QuotaGuard, systemClock, type QuotaClock } from '../../../src/upstream/quota/quota-guard.ts';
import { SharedQuota } from '../../../src/upstream/quota/shared-quota.ts';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';
import { eventually } from '../../support/eventually.ts';
import { FakeClock } from './fake-clock.ts';

const quiet = { warn: () => undefined, info: () => undefined };
const redisUp = await redisForTests();

describe.skipIf(!redisUp)('SharedQuota across instances', () => {
  // Two gateway instances: each its own Redis connection.
  const instances: RedisConnection[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i += 1) {
      const redis = new RedisConnection({ url: REDIS_URL, commandTimeoutMs: 1000, logger: quiet });
      await redis.connect();
      instances.push(redis);
    }
  });
  afterAll(() => Promise.all(instances.map((redis) => redis.close())));

  const budget = { provider: 'hubspot' as const, limit: 1, windowMs: 200, maxWaitMs: 2000 };
  const quotaOn = (redis: RedisConnection, key: string, clock?: QuotaClock, leaseGraceMs?: number) =>
    new SharedQuota({ ...budget, redis, key, fallback: new QuotaGuard(budget), ...(clock ? { clock } : {}), ...(leaseGraceMs ? { leaseGraceMs } : {}) });

  it('does not starve a waiter on one instance while another instance keeps asking', async () => {
    const key = `${uniquePrefix('starve')}:v2:quota:{hubspot:t}`;
    // A lease grace far above any scheduler delay: the patient waiter keeps its place however late
    // a busy machine wakes it, so the test is about order, not timing.
    const busy = quotaOn(instances[0]!, key, undefined, 5_000);
    const patient = quotaOn(instances[1]!, key, undefined, 5_000);
    await busy.acquire();
    busy.settle();
    let patientDone = false;
    const waited = patient.acquire(2000).then(
      () => {
        patient.settle();
        return 'went';
      },
      () => 'refused',
    );
    void waited.then(() => (patientDone = true));
    // The busy instance's new callers keep arriving, asking for a slot they can have at once.
    let busyWentWhileWaiting = 0;
    let asked = 0;
    while (!patientDone && asked < 20_000) {
      asked += 1;
      await busy.acquire(0).then(
        () => {
          busy.settle();
          busyWentWhileWaiting += patientDone ? 0 : 1;
        },
        () => undefined,
      );
    }
    expect(await waited).toBe('went');
    expect(busyWentWhileWaiting).toBe(0);
  });

  it('lets the queue move on when a waiter dies: its place lapses after the lease grace', async () => {
    const key = `${uniquePrefix('lapse')}:v2:quota:{hubspot:t}`;
    // A waiter whose timers never fire: it takes its place and never asks again.
    const dead: QuotaClock = { ...systemClock, setTimeout: () => undefined };
    const live = quotaOn(instances[0]!, key, undefined, 50);
    await live.acquire();
    live.settle();
    void quotaOn(instances[1]!, key, dead, 50).acquire(2000);
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the dead waiter take its place
    await expect(live.acquire(2000)).resolves.toBeGreaterThan(0);
  });

  it('does not refuse an admitted waiter whose event loop runs late: its deadline is on Redis\'s clock', async () => {
    const key = `${uniquePrefix('late')}:v2:quota:{hubspot:t}`;
    // An instance whose clock lurches a second ahead after the first attempt (a long GC pause,
    // a starved event loop) and whose timers wake a little early.
    let calls = 0;
    const lurching: QuotaClock = {
      ...systemClock,
      now: () => performance.now() + (calls++ > 1 ? 1000 : 0), // after `started` and the first attempt
      setTimeout: (callback, ms) => systemClock.setTimeout(callback, Math.max(0, ms - 20)),
    };
    const first = quotaOn(instances[0]!, key);
    await first.acquire();
    first.settle();
    await expect(quotaOn(instances[1]!, key, lurching).acquire(500)).resolves.toBeGreaterThan(0);
  });

  it('serves a quiet client on one instance within the next round while a flood waits on another', async () => {
    const key = `${uniquePrefix('fair')}:v3:quota:{hubspot:t}`;
    const fair = { ...budget, limit: 5, windowMs: 100 };
    const [flooded, quiet] = instances.map((redis) => new SharedQuota({ ...fair, redis, key, fallback: new QuotaGuard(fair) }));
    const events: string[] = [];
    const ask = (quota: SharedQuota, who: string, fairnessKey: string) => quota.acquire(5000, fairnessKey).then(() => {
        events.push(who);
        quota.settle();
      });
    // f0..f4 go at once; f5..f29 wait in the shared queue, five a window.
    const flood = Array.from({ length: 30 }, (_, i) => ask(flooded!, `f${i}`, 't/flood'));
    await eventually(async () => (await instances[0]!.run((client) => client.zCard(`${key}:queue`))) === 25);
    await ask(quiet!, 'quiet', 't/quiet');
    await Promise.all(flood);
    // In the first rollover's five, right after f5 (same round, earlier); FIFO would put it last.
    expect(events.indexOf('quiet')).toBeLessThan(events.indexOf('f9'));
  });

  it('keeps every key of one quota under one hash tag, so one Redis Cluster slot', async () => {
    const prefix = uniquePrefix('tag');
    const redis = instances[0]!;
    const quota = createQuota({ ...budget, credential: 'secret-token', redis, keyPrefix: prefix, fallbackShare: 0.5 });
    await quota.acquire();
    quota.settle();
    await Promise.all([quota.acquire(2000), quota.acquire(2000)].map((went) => went.then(() => quota.settle())));
    const keys = await redis.run((client) => client.keys(`${prefix}:*`));
    expect(keys.length).toBeGreaterThanOrEqual(2);
    const tags = new Set(keys.map((k) => /\{[^}]+\}/.exec(k)?.[0]));
    expect(tags.size).toBe(1);
    expect([...tags][0]).toMatch(/^\{hubspot:[\w-]+\}$/);
    expect(keys.join(' ')).not.toContain('secret-token');
  });

  it('refuses a key without a hash tag, and other nonsensical options, naming them', () => {
    const redis = instances[0]!;
    expect(() => new SharedQuota({ ...budget, redis, key: 'tributary:v2:quota:hubspot:t', fallback: new QuotaGuard(budget) })).toThrow(/key must hold a \{hash tag\}/);
    expect(() => quotaOn(redis, 'k:{t}', undefined, -1)).toThrow('leaseGraceMs must be a positive number: -1');
    expect(() => new SharedQuota({ ...budget, limit: 0, redis, key: 'k:{t}', fallback: new QuotaGuard(budget) })).toThrow('limit must be a positive integer: 0');
  });
});

describe.skipIf(!redisUp)('SharedQuota through a Redis outage', () => {
  it('waits out a window before spending its local share, and on the way back tells the shared log what it spent', async () => {
    const real = new RedisConnection({ url: REDIS_URL, commandTimeoutMs: 1000, logger: quiet });
    await real.connect();
    // The real connection, but one whose Redis the test can declare down.
    let down = false;
    const redis = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'available') return !down && target.available;
        if (property === 'run') return (command: Parameters<RedisConnection['run']>[0]) => (down ? Promise.reject(new Error('redis down')) : target.run(command));
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const clock = new FakeClock();
    const budget = { provider: 'hubspot' as const, limit: 4, windowMs: 1000, maxWaitMs: 0 };
    const fallback = new QuotaGuard({ ...budget, limit: 2, clock });
    const quota = new SharedQuota({ ...budget, redis, key: `${uniquePrefix('backfill')}:v2:quota:{hubspot:t}`, fallback, clock });
    const spent = (maxWaitMs = 0) =>
      quota.acquire(maxWaitMs).then(
        () => {
          quota.settle();
          return 'sent';
        },
        (error: { code?: string }) => error.code,
      );

    down = true;
    expect(await spent()).toBe('UPSTREAM_RATE_LIMITED'); // the shared window may be full: not yet
    await clock.advance(1_100);
    expect([await spent(), await spent(), await spent()]).toEqual(['sent', 'sent', 'UPSTREAM_RATE_LIMITED']); // the local share
    down = false;
    // Back on Redis within the window: its two local sends count, so two of the four are left.
    expect([await spent(), await spent(), await spent()]).toEqual(['sent', 'sent', 'UPSTREAM_RATE_LIMITED']);
    await real.close();
  });
});
