import { afterEach, describe, expect, it } from 'vitest';
import { defaultPolicies } from '../../../src/upstream/cache/cache-policy.ts';
import { createMemoryStore, type Expiring, type ExpiringStore } from '../../../src/upstream/cache/cache-store.ts';
import { EntityCache, type Fetcher } from '../../../src/upstream/cache/entity-cache.ts';
import { createRedisStore } from '../../../src/upstream/cache/redis-store.ts';
import { createTieredStore } from '../../../src/upstream/cache/tiered-store.ts';
import { CallContext } from '../../../src/upstream/call-context.ts';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import { UpstreamReport } from '../../../src/upstream/upstream-report.ts';
import { REDIS_URL, dropTagRegistry, redisForTests, uniquePrefix } from '../../support/redis.ts';

const redisUp = await redisForTests();
const quiet = { warn: () => undefined, info: () => undefined };
const any = () => true;

/**
 * A shared store (in process, on the test's clock) that counts the reads reaching it, and can
 * hold one back until the test lets it answer.
 */
function countedShared(now: () => number) {
  const inner = createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024, now });
  const state = { reads: 0, held: undefined as Promise<void> | undefined };
  const store: ExpiringStore = {
    ...inner,
    getMany: (keys) => {
      state.reads += 1;
      return inner.getMany(keys);
    },
    getManyExpiring: async <V>(keys: readonly string[]): Promise<Array<Expiring<V> | undefined>> => {
      state.reads += 1;
      const answer = await inner.getManyExpiring<V>(keys); // read now, answered when let go
      await state.held;
      return answer;
    },
  };
  return { store, state };
}

function setup() {
  let now = 1_000;
  const clock = () => now;
  const shared = countedShared(clock);
  const local = createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024, now: clock });
  const tiered = createTieredStore(shared.store, local, { now: clock });
  return { shared, local, tiered, advance: (ms: number) => (now += ms) };
}

describe('a tiered store reading its local copy first', () => {
  it('answers from the local copy without reading Redis, and only for what the caller accepts', async () => {
    const { shared, tiered } = setup();
    tiered.localFirst = true;
    await tiered.set('{t}a', { v: 'a' }, 10_000, 0);
    await tiered.set('{t}old', { v: 'old', fresh: false }, 10_000, 0);
    expect(await tiered.getMany(['{t}a'], any)).toEqual([{ v: 'a' }]);
    expect(shared.state.reads).toBe(0);
    expect(await tiered.getMany(['{t}a', '{t}old'], (value: { fresh?: boolean }) => value.fresh !== false)).toEqual([{ v: 'a' }, { v: 'old', fresh: false }]);
    expect(shared.state.reads).toBe(1); // the one it did not accept, from Redis
  });

  it('reads Redis first while the invalidation channel is not known to be listening', async () => {
    const { shared, tiered } = setup();
    await tiered.set('{t}a', { v: 'mine' }, 10_000, 0);
    await shared.store.set('{t}a', { v: "another instance's" }, 10_000, 0);
    expect(await tiered.getMany(['{t}a'], any)).toEqual([{ v: "another instance's" }]);
    expect(shared.state.reads).toBe(1);
    tiered.localFirst = true;
    expect(await tiered.getMany(['{t}a'], any)).toEqual([{ v: 'mine' }]);
    expect(shared.state.reads).toBe(1);
  });

  it('fills the local copy from Redis, for no longer than Redis keeps the entry', async () => {
    const { shared, local, tiered, advance } = setup();
    tiered.localFirst = true;
    await shared.store.set('{t}a', { v: 'a' }, 1_000, 0);
    advance(400);
    expect(await tiered.getMany(['{t}a'], any)).toEqual([{ v: 'a' }]);
    expect(await tiered.getMany(['{t}a'], any)).toEqual([{ v: 'a' }]);
    expect(shared.state.reads).toBe(1);
    advance(599);
    expect(await local.getMany(['{t}a'])).toEqual([{ v: 'a' }]);
    advance(2);
    expect(await local.getMany(['{t}a'])).toEqual([undefined]);
  });

  it("does not keep what Redis answered before another instance's invalidation reached this one", async () => {
    const { shared, local, tiered } = setup();
    tiered.localFirst = true;
    await shared.store.set('{t}a', { v: 'old' }, 10_000, 0);
    let letGo!: () => void;
    shared.state.held = new Promise((resolve) => (letGo = resolve));
    const reading = tiered.getMany(['{t}a'], any); // Redis has read 'old'; the answer is on its way
    await new Promise((resolve) => setImmediate(resolve));
    await local.invalidate('{t}a', 10_000); // the message arrives first
    letGo();
    expect(await reading).toEqual([{ v: 'old' }]); // this read began before: it may see the old value
    expect(await local.getMany(['{t}a'])).toEqual([undefined]); // but the copy does not keep it
  });

  it('does not fill the copy once the channel is interrupted', async () => {
    const { shared, local, tiered } = setup();
    tiered.localFirst = true;
    await shared.store.set('{t}a', { v: 'a' }, 10_000, 0);
    let letGo!: () => void;
    shared.state.held = new Promise((resolve) => (letGo = resolve));
    const reading = tiered.getMany(['{t}a'], any);
    await new Promise((resolve) => setImmediate(resolve));
    tiered.localFirst = false;
    letGo();
    expect(await reading).toEqual([{ v: 'a' }]);
    expect(await local.getMany(['{t}a'])).toEqual([undefined]);
  });
});

describe('an entity the local copy of a shared store holds fresh', () => {
  it('is answered at once while the copy may answer first, as a read of it would be, and otherwise left to a load', async () => {
    const { shared, tiered, advance } = setup();
    let elapsed = 0;
    const cache = new EntityCache({ store: tiered, policies: defaultPolicies(), maxFetchMs: 5_000, onBackgroundError: () => undefined, now: () => 1_000 + elapsed });
    const customers = cache.scope('customers', 'token');
    const fetcher: Fetcher<{ id: string }> = async (ids) => ({ found: new Map(ids.map((id) => [id, { value: { id } }])) });
    const call = () => new CallContext(new UpstreamReport(), 5_000);
    const now = (c: CallContext) => customers.freshNow('customers.customer', 'c1', c, (value: { id: string } | null) => value ?? undefined);
    await customers.load('customers.customer', ['c1'], fetcher, call()); // stored in both tiers

    expect(now(call())).toBeUndefined(); // the channel not known to be listening: Redis first
    const redisReads = shared.state.reads;
    tiered.localFirst = true;
    const reading = call();
    expect(now(reading)).toEqual({ id: 'c1' });
    expect(reading.report.toJSON()).toMatchObject({ customers: { cacheHits: 1 } });
    expect(shared.state.reads).toBe(redisReads);
    tiered.localFirst = false; // the channel interrupted: Redis first again
    expect(now(call())).toBeUndefined();
    tiered.localFirst = true;

    advance(61_000);
    elapsed += 61_000; // customers.customer is fresh for 60 s: past it, Redis may hold a newer one
    expect(now(call())).toBeUndefined();
  });
});

describe.skipIf(!redisUp)('an entity read from the local copy of a Redis store', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('is served locally only while fresh, then what another instance stored in Redis meanwhile', async () => {
    let now = 5_000_000;
    const clock = () => now;
    const prefix = uniquePrefix('local-first');
    const connection = new RedisConnection({ url: REDIS_URL, commandTimeoutMs: 5_000, logger: quiet });
    await connection.connect();
    closers.push(async () => {
      await connection.close();
      await dropTagRegistry(prefix);
    });
    const redis = createRedisStore(connection, prefix);
    let redisReads = 0;
    const counted: ExpiringStore = {
      ...redis,
      getManyExpiring: (keys) => {
        redisReads += 1;
        return redis.getManyExpiring(keys);
      },
    };
    const tiered = createTieredStore(counted, createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024, now: clock }), { now: clock });
    tiered.localFirst = true;
    const cache = new EntityCache({ store: tiered, policies: defaultPolicies(), maxFetchMs: 5_000, onBackgroundError: () => undefined, now: clock });
    const customers = cache.scope('customers', 'token');
    let fetched = 0;
    const fetcher: Fetcher<{ id: string; name: string }> = async (ids) => {
      fetched += 1;
      return { found: new Map(ids.map((id) => [id, { value: { id, name: 'fetched here' } }])) };
    };
    const read = async () => (await customers.load('customers.customer', ['c1'], fetcher, new CallContext(new UpstreamReport(), 5_000))).get('c1');

    expect(await read()).toEqual({ id: 'c1', name: 'fetched here' });
    const readsAfterFetch = redisReads;
    // Another instance refreshes the entry in Redis (no invalidation: the provider's data did not change for it).
    const key = customers.keyOf('customers.customer', 'c1');
    now += 30_000;
    await redis.set(key, { value: { id: 'c1', name: 'stored by another instance' }, storedAt: now }, 600_000, 0);

    now += 29_000; // customers.customer is fresh for 60 s
    expect(await read()).toEqual({ id: 'c1', name: 'fetched here' });
    expect(redisReads).toBe(readsAfterFetch);

    now += 2_000; // past its freshness: not from the local copy any more
    expect(await read()).toEqual({ id: 'c1', name: 'stored by another instance' });
    expect(redisReads).toBe(readsAfterFetch + 1);
    expect(fetched).toBe(1);
  });
});
