import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import type { RedisCommandClient } from '../redis/redis-client.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import type { ExpiringStore } from './cache-store.ts';
import { INVALIDATION_MARGIN_MS } from './invalidation-marks.ts';

/**
 * Writes the entry unless the key was invalidated, or the store cleared, since the fetch began.
 * The invalidation's time was taken by Redis. When the fetch began is estimated twice, and the
 * earlier estimate is used: Redis's now minus the fetch's age (no clock need agree with Redis's,
 * but a write that reaches Redis late looks younger than it is), and the writer's wall clock at
 * the start of the fetch (a late write changes nothing, but the writer's clock may be off Redis's).
 * So a write is wrongly let through only if it is late by more than the margin *and* its host's
 * clock runs ahead of Redis's by more than the margin.
 * KEYS: entry, its invalidation mark, its tag's clear mark (one slot). ARGV: value, ttl ms, fetch
 * age + margin ms, the fetch's start on the writer's wall clock − margin (epoch ms).
 */
const SET_UNLESS_INVALIDATED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local begun = math.min(now - tonumber(ARGV[3]), tonumber(ARGV[4]))
local marked = tonumber(redis.call('GET', KEYS[2]) or '-1')
local cleared = tonumber(redis.call('GET', KEYS[3]) or '-1')
if marked >= begun or cleared >= begun then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/**
 * Replaces the entry unless it was invalidated (or replaced) since the read it is derived from
 * began, then marks it as an invalidation would, so that a fetch begun before cannot write the
 * older state back. KEYS: entry, mark, clear mark. ARGV: value, ttl ms, read age + margin ms,
 * hold ms.
 */
const APPLY_UNLESS_INVALIDATED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local begun = now - tonumber(ARGV[3])
local marked = tonumber(redis.call('GET', KEYS[2]) or '-1')
local cleared = tonumber(redis.call('GET', KEYS[3]) or '-1')
if marked >= begun or cleared >= begun then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], now, 'PX', ARGV[4])
return 1
`;

/** Drops the entry and marks it invalidated, on Redis's clock, for ARGV[1] ms. KEYS: entry, mark. */
const INVALIDATE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('UNLINK', KEYS[1])
redis.call('SET', KEYS[2], now, 'PX', ARGV[1])
return now
`;

/** Marks a tag cleared, on Redis's clock, for ARGV[1] ms. KEYS: the tag's clear mark. */
const MARK_CLEARED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], now, 'PX', ARGV[1])
return now
`;

/**
 * The shared store: keyv over @keyv/redis on the gateway's one Redis connection, every key under
 * `<prefix>:`. Each call goes through RedisConnection.run, so it fails fast (and the caller falls
 * back) instead of queueing while Redis is away. Writes and invalidations are scripts (atomic, on
 * Redis's clock) that keep a fetch begun before an invalidation from writing after it; they
 * write values exactly as keyv does, so keyv reads them. Invalidation marks live under
 * `<prefix>-inv:`, outside keyv's namespace, so that `clear` (keyv's scan of `<prefix>:*`) keeps
 * them.
 *
 * Redis Cluster runs a script only if all its keys hash to one slot, so every key carries a hash
 * tag (`{stripe:<tenant>}`, see EntityCache.key) and the marks a script reads carry the same tag.
 * A single store-wide clear mark cannot share a slot with every entry, so `clear` marks each tag
 * instead (`<prefix>-inv-all:{tag}`), and the write script reads its own tag's mark: atomic per
 * slot, which is all a write needs. `clear` finds the tags in a registry (`<prefix>-tags`, a set)
 * to which each instance adds a tag the first time it reads or writes one, before its fetch can
 * begin: so a clear after the fetch began sees the tag, and its mark refuses the fetch's write.
 * The registry has no expiry (it holds one short tag per provider credential ever used); should
 * Redis lose it, a clear still marks the tags the clearing process knows, and the others come
 * back as processes restart.
 * The same layout serves a single Redis, so both run the same scripts and the same tests.
 */
export function createRedisStore(connection: RedisConnection, prefix: string): ExpiringStore {
  if (/[{}]/.test(prefix)) throw new TypeError(`prefix must not contain a hash tag's braces: ${prefix}`);
  const adapter = new KeyvRedis(connection.client, { namespace: prefix, keyPrefixSeparator: ':', throwOnErrors: true, throwOnConnectError: true, useUnlink: true });
  // keyv hands its own namespace to the adapter, so the prefix is set on both.
  const keyv = new Keyv({ store: adapter, namespace: prefix, useKeyPrefix: false, throwOnErrors: true });
  const entryKey = (key: string) => `${prefix}:${key}`;
  const markKey = (key: string) => `${prefix}-inv:${key}`;
  const clearKey = (tag: string) => `${prefix}-inv-all:{${tag}}`;
  const registryKey = `${prefix}-tags`;
  // Tags this process has put in the registry: one SADD per tenant per process, not per call.
  const registered = new Set<string>();
  const register = async (client: RedisCommandClient, tags: readonly string[]) => {
    const fresh = [...new Set(tags)].filter((tag) => !registered.has(tag));
    if (fresh.length === 0) return;
    await client.sAdd(registryKey, fresh);
    for (const tag of fresh) registered.add(tag);
  };
  return {
    kind: 'redis',
    remembers: true,
    getMany: async <V>(keys: readonly string[]) => {
      const tags = keys.map(hashTagOf);
      return connection.run(async (client) => {
        await register(client, tags);
        return (await keyv.getMany<V>([...keys])) as Array<V | undefined>;
      });
    },
    getManyExpiring: async <V>(keys: readonly string[]) => {
      const tags = keys.map(hashTagOf);
      const rows = await connection.run(async (client) => {
        await register(client, tags);
        return keyv.getManyRaw<V>([...keys]);
      });
      const now = Date.now();
      // Every entry is written with an expiry (`set`, `apply`); one without is kept a second only.
      return rows.map((row) => (row === undefined ? undefined : { value: row.value as V, ttlMs: typeof row.expires === 'number' ? row.expires - now : 1000 }));
    },
    set: async (key, value, ttlMs, fetchAgeMs) => {
      const tag = hashTagOf(key);
      const called = performance.now();
      const begunOnWallClock = Date.now() - fetchAgeMs;
      const serialized = await keyv.serializeData({ value, expires: Date.now() + ttlMs });
      await connection.run(async (client) => {
        await register(client, [tag]);
        // The age as late as it can be taken: serialising and registering took time too.
        const ageMs = fetchAgeMs + (performance.now() - called);
        await client.eval(SET_UNLESS_INVALIDATED, {
          keys: [entryKey(key), markKey(key), clearKey(tag)],
          arguments: [
            String(serialized),
            String(Math.max(1, Math.ceil(ttlMs))),
            String(Math.ceil(ageMs + INVALIDATION_MARGIN_MS)),
            String(Math.floor(begunOnWallClock - INVALIDATION_MARGIN_MS)),
          ],
        });
      });
    },
    invalidate: (key, holdMs) => {
      hashTagOf(key);
      return connection.run(async (client) => {
        await client.eval(INVALIDATE, { keys: [entryKey(key), markKey(key)], arguments: [String(Math.max(1, Math.ceil(holdMs)))] });
      });
    },
    apply: async (key, value, ttlMs, readAgeMs, holdMs) => {
      const tag = hashTagOf(key);
      const called = performance.now();
      const serialized = await keyv.serializeData({ value, expires: Date.now() + ttlMs });
      return connection.run(async (client) => {
        await register(client, [tag]);
        const ageMs = readAgeMs + (performance.now() - called);
        const applied = await client.eval(APPLY_UNLESS_INVALIDATED, {
          keys: [entryKey(key), markKey(key), clearKey(tag)],
          arguments: [String(serialized), String(Math.max(1, Math.ceil(ttlMs))), String(Math.ceil(ageMs + INVALIDATION_MARGIN_MS)), String(Math.max(1, Math.ceil(holdMs)))],
        });
        return applied === 1;
      });
    },
    clear: (holdMs) =>
      connection.run(async (client) => {
        const tags = new Set([...(await client.sMembers(registryKey)), ...registered]);
        const hold = String(Math.max(1, Math.ceil(holdMs)));
        await Promise.all([...tags].map((tag) => client.eval(MARK_CLEARED, { keys: [clearKey(tag)], arguments: [hold] })));
        await keyv.clear();
      }),
    close: async () => undefined, // the connection is closed by its owner
  };
}

/**
 * The part of a key Redis hashes to pick its slot: the text between the first `{` and the next
 * `}`, when not empty (Redis Cluster spec, "Hash tags"). A key without one would put its entry and
 * its marks in different slots, so the store refuses it.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  if (close <= open + 1) throw new TypeError(`cache keys must carry a hash tag such as {provider:tenant}: ${key}`);
  return key.slice(open + 1, close);
}
