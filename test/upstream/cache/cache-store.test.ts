import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, type CacheStore } from '../../../src/upstream/cache/cache-store.ts';
import { createRedisStore } from '../../../src/upstream/cache/redis-store.ts';
import { createTieredStore } from '../../../src/upstream/cache/tiered-store.ts';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';

const quiet = { warn: () => undefined, info: () => undefined };
const redisUp = await redisForTests();

/** The same contract for every store, the way undici tests its cache stores. */
function storeContract(name: string, make: () => Promise<{ store: CacheStore; close(): Promise<void> }>, skip = false) {
  describe.skipIf(skip)(`${name} store contract`, () => {
    let store: CacheStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await make());
    });
    afterAll(() => close());

    it('returns what was set, in key order, and undefined for the rest', async () => {
      await store.set('a', { value: { id: 'a', n: 1 }, storedAt: 1 }, 10_000);
      await store.set('b', { value: null, storedAt: 2 }, 10_000);
      expect(await store.getMany(['b', 'missing', 'a'])).toEqual([{ value: null, storedAt: 2 }, undefined, { value: { id: 'a', n: 1 }, storedAt: 1 }]);
    });

    it('forgets an entry after its time to live', async () => {
      await store.set('short', { v: 1 }, 50);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await store.getMany(['short'])).toEqual([undefined]);
    });

    it('overwrites, deletes, and clears', async () => {
      await store.set('c', { v: 1 }, 10_000);
      await store.set('c', { v: 2 }, 10_000);
      expect(await store.getMany(['c'])).toEqual([{ v: 2 }]);
      await store.delete('c');
      expect(await store.getMany(['c'])).toEqual([undefined]);
      await store.set('d', { v: 1 }, 10_000);
      await store.clear();
      expect(await store.getMany(['a', 'd'])).toEqual([undefined, undefined]);
    });

    it('answers an empty key list', async () => {
      expect(await store.getMany([])).toEqual([]);
    });
  });
}

storeContract('memory', async () => ({ store: createMemoryStore({ maxEntries: 100 }), close: async () => undefined }));

storeContract(
  'redis',
  async () => {
    const connection = new RedisConnection({ url: REDIS_URL, commandTimeoutMs: 1000, logger: quiet });
    await connection.connect();
    return { store: createRedisStore(connection, uniquePrefix('store')), close: () => connection.close() };
  },
  !redisUp,
);

storeContract(
  'tiered (redis + memory)',
  async () => {
    const connection = new RedisConnection({ url: REDIS_URL, commandTimeoutMs: 1000, logger: quiet });
    await connection.connect();
    const store = createTieredStore(createRedisStore(connection, uniquePrefix('tiered')), createMemoryStore({ maxEntries: 100 }));
    return { store, close: () => connection.close() };
  },
  !redisUp,
);

describe.skipIf(!redisUp)('redis store isolation', () => {
  it('clear removes only its own prefix', async () => {
    const connection = new RedisConnection({ url: REDIS_URL, commandTimeoutMs: 1000, logger: quiet });
    await connection.connect();
    const mine = createRedisStore(connection, uniquePrefix('mine'));
    const theirs = createRedisStore(connection, uniquePrefix('theirs'));
    await mine.set('k', { v: 'mine' }, 10_000);
    await theirs.set('k', { v: 'theirs' }, 10_000);
    await mine.clear();
    expect(await mine.getMany(['k'])).toEqual([undefined]);
    expect(await theirs.getMany(['k'])).toEqual([{ v: 'theirs' }]);
    await theirs.clear();
    await connection.close();
  });
});

describe('memory store bounds', () => {
  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const store = createMemoryStore({ maxEntries: 2 });
    await store.set('a', { v: 1 }, 10_000);
    await store.set('b', { v: 2 }, 10_000);
    await store.getMany(['a']);
    await store.set('c', { v: 3 }, 10_000);
    expect(await store.getMany(['a', 'b', 'c'])).toEqual([{ v: 1 }, undefined, { v: 3 }]);
  });
});
