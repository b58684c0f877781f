import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore, type CacheStore, type ExpiringStore } from '../../../src/upstream/cache/cache-store.ts';
import { createRedisStore } from '../../../src/upstream/cache/redis-store.ts';
import { createTieredStore } from '../../../src/upstream/cache/tiered-store.ts';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import { eventually } from '../../support/eventually.ts';
import { RedisClusterForTests, redisClusterForTests } from '../../support/redis-cluster.ts';
import { PrivateRedis, REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';

const quiet = { warn: () => undefined, info: () => undefined };
const redisUp = await redisForTests();

/**
 * Keys as the entity cache writes them: a hash tag per provider and tenant, so that on Redis
 * Cluster these three tenants' keys spread over different slots (and, with three masters, nodes).
 */
const A = (id: string) => `v2:{stripe:tenant-a}:charge:${id}`;
const B = (id: string) => `v2:{hubspot:tenant-b}:contact:${id}`;
const C = (id: string) => `v2:{customers:tenant-c}:customer:${id}`;

/** The same contract for every store, the way undici tests its cache stores. */
function storeContract(name: string, make: () => Promise<{ store: CacheStore; close(): Promise<void> }>, skip = false) {
  describe.skipIf(skip)(`${name} store contract`, () => {
    let store: CacheStore;
    let close: () => Promise<void>;
    // A store each: one test's invalidations and clears must not refuse another's writes.
    beforeEach(async () => {
      ({ store, close } = await make());
    });
    afterEach(() => close());

    it('returns what was set, in key order, and undefined for the rest, across tenants', async () => {
      await store.set(A('a'), { value: { id: 'a', n: 1 }, storedAt: 1 }, 10_000, 0);
      await store.set(B('b'), { value: null, storedAt: 2 }, 10_000, 0);
      await store.set(C('c'), { v: 3 }, 10_000, 0);
      expect(await store.getMany([B('b'), A('missing'), A('a'), C('c')])).toEqual([
        { value: null, storedAt: 2 },
        undefined,
        { value: { id: 'a', n: 1 }, storedAt: 1 },
        { v: 3 },
      ]);
    });

    it('forgets an entry after its time to live', async () => {
      await store.set(A('short'), { v: 1 }, 20, 0);
      await eventually(async () => (await store.getMany([A('short')]))[0] === undefined);
    });

    it('overwrites, invalidates, and clears every tenant', async () => {
      await store.set(A('c'), { v: 1 }, 10_000, 0);
      await store.set(A('c'), { v: 2 }, 10_000, 0);
      expect(await store.getMany([A('c')])).toEqual([{ v: 2 }]);
      await store.invalidate(A('c'), 10_000);
      expect(await store.getMany([A('c')])).toEqual([undefined]);
      await store.set(A('d'), { v: 1 }, 10_000, 0);
      await store.set(B('d'), { v: 1 }, 10_000, 0);
      await store.set(C('d'), { v: 1 }, 10_000, 0);
      await store.clear(10_000);
      expect(await store.getMany([A('a'), A('d'), B('d'), C('d')])).toEqual([undefined, undefined, undefined, undefined]);
    });

    it('refuses the write of a fetch begun before an invalidation of its key, and only of its key', async () => {
      await store.invalidate(A('raced'), 10_000);
      await store.set(A('raced'), { v: 'old' }, 10_000, 5_000); // its fetch began 5 s ago
      await store.set(A('other'), { v: 'new' }, 10_000, 5_000);
      await store.set(B('raced'), { v: 'new' }, 10_000, 5_000);
      expect(await store.getMany([A('raced'), A('other'), B('raced')])).toEqual([undefined, { v: 'new' }, { v: 'new' }]);
    });

    it('applies an event over the entry it read, and then refuses the writes of fetches begun before', async () => {
      await store.set(A('ev'), { v: 'before' }, 10_000, 0);
      expect(await store.apply(A('ev'), { v: 'after' }, 10_000, 0, 10_000)).toBe(true);
      await store.set(A('ev'), { v: 'before' }, 10_000, 5_000); // a fetch begun before the event
      expect(await store.getMany([A('ev')])).toEqual([{ v: 'after' }]);
      await store.set(A('ev'), { v: 'newer' }, 10_000, -1_000); // one begun after it
      expect(await store.getMany([A('ev')])).toEqual([{ v: 'newer' }]);
    });

    it('refuses to apply an event over a read made before the key was invalidated', async () => {
      await store.set(A('ev2'), { v: 'before' }, 10_000, 0);
      await store.invalidate(A('ev2'), 10_000);
      expect(await store.apply(A('ev2'), { v: 'derived from before' }, 10_000, 5_000, 10_000)).toBe(false);
      expect(await store.getMany([A('ev2')])).toEqual([undefined]);
    });

    it('lets an invalidation issued while a write is under way win', async () => {
      const writing = store.set(A('k'), { v: 'old' }, 10_000, 1_000);
      await store.invalidate(A('k'), 10_000);
      await writing;
      expect(await store.getMany([A('k')])).toEqual([undefined]);
    });

    it('refuses the writes of fetches begun before a clear, for every tenant read before it', async () => {
      expect(await store.getMany([A('any'), B('any')])).toEqual([undefined, undefined]); // the fetches begin after these reads
      await store.clear(10_000);
      await store.set(A('any'), { v: 'old' }, 10_000, 5_000);
      await store.set(B('any'), { v: 'old' }, 10_000, 5_000);
      expect(await store.getMany([A('any'), B('any')])).toEqual([undefined, undefined]);
    });

    it('answers an empty key list', async () => {
      expect(await store.getMany([])).toEqual([]);
    });
  });
}

storeContract('memory', async () => ({ store: createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024 }), close: async () => undefined }));

/** The Redis deployments the shared store runs on: one server, and a 3-master Redis Cluster. */
const clusterTools = await redisClusterForTests();
let cluster: Promise<RedisClusterForTests> | undefined;
afterAll(async () => {
  await cluster?.then((started) => started.stop(), () => undefined);
});
const backends = [
  { name: 'redis', skip: !redisUp, target: async () => ({ url: REDIS_URL }) },
  { name: 'redis cluster', skip: !clusterTools, target: async () => ({ clusterNodes: (await (cluster ??= RedisClusterForTests.start())).nodes }) },
];

for (const backend of backends) {
  const connect = async () => {
    const connection = new RedisConnection({ ...(await backend.target()), commandTimeoutMs: 1000, logger: quiet });
    await connection.connect();
    // The tiered store would pass its contract from memory alone: make sure Redis is there.
    if (!connection.available) throw new Error(`${backend.name} did not answer`);
    return connection;
  };
  // Entries and marks expire on their own; the tag registry does not, so the suites remove theirs
  // from the shared Redis.
  const closing = (connection: RedisConnection, ...prefixes: string[]) => async () => {
    await Promise.all(prefixes.map((prefix) => connection.run((client) => client.del(`${prefix}-tags`))));
    await connection.close();
  };

  storeContract(
    backend.name,
    async () => {
      const connection = await connect();
      const prefix = uniquePrefix('store');
      return { store: createRedisStore(connection, prefix), close: closing(connection, prefix) };
    },
    backend.skip,
  );

  storeContract(
    `tiered (${backend.name} + memory)`,
    async () => {
      const connection = await connect();
      const prefix = uniquePrefix('tiered');
      const store = createTieredStore(createRedisStore(connection, prefix), createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024 }));
      return { store, close: closing(connection, prefix) };
    },
    backend.skip,
  );

  describe.skipIf(backend.skip)(`${backend.name} store`, () => {
    it('clear removes only its own prefix', async () => {
      const connection = await connect();
      const prefixes = [uniquePrefix('mine'), uniquePrefix('theirs')] as const;
      const [mine, theirs] = prefixes.map((prefix) => createRedisStore(connection, prefix)) as [ExpiringStore, ExpiringStore];
      await mine.set(A('k'), { v: 'mine' }, 10_000, 0);
      await theirs.set(A('k'), { v: 'theirs' }, 10_000, 0);
      await mine.clear(10_000);
      expect(await mine.getMany([A('k')])).toEqual([undefined]);
      expect(await theirs.getMany([A('k')])).toEqual([{ v: 'theirs' }]);
      await theirs.clear(10_000);
      await closing(connection, ...prefixes)();
    });

    it("refuses a write on one instance whose fetch began before another instance's clear, for a tenant only the first had seen", async () => {
      const [first, second] = [await connect(), await connect()];
      const prefix = uniquePrefix('shared');
      const reader = createRedisStore(first, prefix);
      const clearer = createRedisStore(second, prefix);
      expect(await reader.getMany([B('raced')])).toEqual([undefined]); // its fetch begins after this read
      await clearer.clear(10_000);
      await reader.set(B('raced'), { v: 'old' }, 10_000, 5_000);
      expect(await clearer.getMany([B('raced')])).toEqual([undefined]);
      await Promise.all([closing(first, prefix)(), second.close()]);
    });

    it('refuses keys without a hash tag, whose entry and marks could not share a slot', async () => {
      const connection = await connect();
      const store = createRedisStore(connection, uniquePrefix('untagged'));
      await expect(store.set('stripe:tenant:charge:1', { v: 1 }, 10_000, 0)).rejects.toThrow(/hash tag/);
      await expect(store.getMany(['stripe:tenant:charge:1'])).rejects.toThrow(/hash tag/);
      await connection.close();
    });
  });
}

describe('memory store bounds', () => {
  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const store = createMemoryStore({ maxEntries: 2, maxBytes: 1024 * 1024 });
    await store.set('a', { v: 1 }, 10_000, 0);
    await store.set('b', { v: 2 }, 10_000, 0);
    await store.getMany(['a']);
    await store.set('c', { v: 3 }, 10_000, 0);
    expect(await store.getMany(['a', 'b', 'c'])).toEqual([{ v: 1 }, undefined, { v: 3 }]);
  });
});

describe('memory store', () => {
  it('accepts the write of a fetch begun after the invalidation', async () => {
    let now = 1_000;
    const store = createMemoryStore({ maxEntries: 10, maxBytes: 1024 * 1024, now: () => now });
    await store.invalidate('k', 10_000);
    now += 1_000;
    await store.set('k', { v: 'began after' }, 10_000, 500);
    expect(await store.getMany(['k'])).toEqual([{ v: 'began after' }]);
    await store.invalidate('k', 10_000);
    now += 1_000;
    await store.set('k', { v: 'began before' }, 10_000, 1_001);
    expect(await store.getMany(['k'])).toEqual([undefined]);
  });

  it('bounds its size in bytes, keys included', async () => {
    const store = createMemoryStore({ maxEntries: 1_000, maxBytes: 4_000 });
    const longKey = (n: number) => `${'k'.repeat(500)}:${n}`;
    for (let n = 0; n < 10; n += 1) await store.set(longKey(n), { value: { n }, storedAt: 0, bytes: 10 }, 10_000, 0);
    const kept = (await store.getMany(Array.from({ length: 10 }, (_, n) => longKey(n)))).filter(Boolean);
    // Each entry costs over 1,000 bytes by its key alone, so at most three fit.
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThanOrEqual(3);
  });
});

describe('tiered store', () => {
  /** A shared store that fails while `down` and records what reached it. */
  function flakyShared() {
    const inner = createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024 });
    const state = { down: false, invalidated: [] as string[] };
    const guard = <T>(work: () => Promise<T>) => (state.down ? Promise.reject(new Error('redis down')) : work());
    const store: ExpiringStore = {
      kind: 'redis',
      remembers: true,
      getMany: (keys) => guard(() => inner.getMany(keys)),
      getManyExpiring: (keys) => guard(() => inner.getManyExpiring(keys)),
      set: (key, value, ttl, age) => guard(() => inner.set(key, value, ttl, age)),
      invalidate: (key, hold) => guard(async () => {
        state.invalidated.push(key);
        await inner.invalidate(key, hold);
      }),
      apply: (key, value, ttl, age, hold) => guard(() => inner.apply(key, value, ttl, age, hold)),
      clear: (hold) => guard(() => inner.clear(hold)),
      close: async () => undefined,
    };
    return { store, state };
  }

  it('drops an entry Redis could not take an event for as soon as Redis is back', async () => {
    const shared = flakyShared();
    const tiered = createTieredStore(shared.store, createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024 }));
    await tiered.set('{t}k', { v: 'old' }, 10_000, 0);
    shared.state.down = true;
    expect(await tiered.apply('{t}k', { v: 'new' }, 10_000, 0, 10_000)).toBe(false);
    expect(await tiered.getMany(['{t}k'])).toEqual([{ v: 'new' }]); // the local copy has the event
    shared.state.down = false;
    expect(await tiered.getMany(['{t}k'])).toEqual([undefined]); // Redis's old value is gone
  });

  it('applies an invalidation Redis missed before reading Redis again, so the stale entry does not come back', async () => {
    const shared = flakyShared();
    const tiered = createTieredStore(shared.store, createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024 }));
    await tiered.set('k', { v: 'old' }, 10_000, 0);
    shared.state.down = true;
    await tiered.invalidate('k', 10_000);
    expect(await tiered.getMany(['k'])).toEqual([undefined]); // the local copy answers while Redis is down
    shared.state.down = false;
    expect(await tiered.getMany(['k'])).toEqual([undefined]);
    expect(shared.state.invalidated).toEqual(['k']);
  });
});

describe.skipIf(!redisUp)('redis store and a write that reaches Redis late', () => {
  it('still refuses it when its fetch began before the invalidation', async () => {
    const redis = await PrivateRedis.start({ debugCommand: true });
    const connection = new RedisConnection({ url: redis.url, commandTimeoutMs: 5_000, logger: quiet });
    await connection.connect();
    try {
      const store = createRedisStore(connection, uniquePrefix('late'));
      await store.set('{t}:k', { v: 'old' }, 10_000, 0);
      await store.invalidate('{t}:k', 10_000);
      // Redis stalls before the write runs: by its clock the write looks 300 ms younger than it is.
      const stalled = redis.stall(0.3);
      await new Promise((resolve) => setImmediate(resolve));
      await store.set('{t}:k', { v: 'old' }, 10_000, 60); // its fetch began 60 ms ago, before the invalidation
      await stalled;
      expect(await store.getMany(['{t}:k'])).toEqual([undefined]);
    } finally {
      await connection.close();
      await redis.stop();
    }
  });
});
