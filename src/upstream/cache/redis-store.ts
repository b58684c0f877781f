import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import type { RedisConnection } from '../redis/redis-connection.ts';
import type { CacheStore } from './cache-store.ts';
import { INVALIDATION_MARGIN_MS } from './invalidation-marks.ts';

/**
 * Writes the entry unless the key was invalidated, or the store cleared, since the fetch began.
 * Both sides are on Redis's clock: the invalidation's time was taken by Redis, and the fetch's
 * start is Redis's now minus the fetch's age (measured by the writer, on its own monotonic
 * clock, so instances' clocks need not agree).
 * KEYS: entry, its invalidation mark, the clear mark. ARGV: value, ttl ms, fetch age + margin ms.
 */
const SET_UNLESS_INVALIDATED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local begun = now - tonumber(ARGV[3])
local marked = tonumber(redis.call('GET', KEYS[2]) or '-1')
local cleared = tonumber(redis.call('GET', KEYS[3]) or '-1')
if marked >= begun or cleared >= begun then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
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

/**
 * The shared store: keyv over @keyv/redis on the gateway's one Redis connection, every key under
 * `<prefix>:`. Each call goes through RedisConnection.run, so it fails fast (and the caller falls
 * back) instead of queueing while Redis is away. Writes and invalidations are scripts (atomic, on
 * Redis's clock) that keep a fetch begun before an invalidation from writing after it; they
 * write values exactly as keyv does, so keyv reads them. Invalidation marks live under
 * `<prefix>-inv:`, outside keyv's namespace, so that `clear` (keyv's scan of `<prefix>:*`) keeps
 * them.
 */
export function createRedisStore(connection: RedisConnection, prefix: string): CacheStore {
  const adapter = new KeyvRedis(connection.client, { namespace: prefix, keyPrefixSeparator: ':', throwOnErrors: true, throwOnConnectError: true, useUnlink: true });
  // keyv hands its own namespace to the adapter, so the prefix is set on both.
  const keyv = new Keyv({ store: adapter, namespace: prefix, useKeyPrefix: false, throwOnErrors: true });
  const entryKey = (key: string) => `${prefix}:${key}`;
  const markKey = (key: string) => `${prefix}-inv:${key}`;
  const clearKey = `${prefix}-inv-all`;
  return {
    kind: 'redis',
    remembers: true,
    getMany: <V>(keys: readonly string[]) => connection.run(async () => (await keyv.getMany<V>([...keys])) as Array<V | undefined>),
    set: async (key, value, ttlMs, fetchAgeMs) => {
      const serialized = await keyv.serializeData({ value, expires: Date.now() + ttlMs });
      await connection.run((client) =>
        client.eval(SET_UNLESS_INVALIDATED, {
          keys: [entryKey(key), markKey(key), clearKey],
          arguments: [String(serialized), String(Math.max(1, Math.ceil(ttlMs))), String(Math.ceil(fetchAgeMs + INVALIDATION_MARGIN_MS))],
        }),
      );
    },
    invalidate: (key, holdMs) =>
      connection.run(async (client) => {
        await client.eval(INVALIDATE, { keys: [entryKey(key), markKey(key)], arguments: [String(Math.max(1, Math.ceil(holdMs)))] });
      }),
    clear: (holdMs) =>
      connection.run(async (client) => {
        await client.eval(INVALIDATE, { keys: [`${prefix}-inv-unused`, clearKey], arguments: [String(Math.max(1, Math.ceil(holdMs)))] });
        await keyv.clear();
      }),
    close: async () => undefined, // the connection is closed by its owner
  };
}
