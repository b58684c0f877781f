import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import type { RedisConnection } from '../redis/redis-connection.ts';
import type { CacheStore } from './cache-store.ts';

/**
 * The shared store: keyv over @keyv/redis on the gateway's one Redis connection, every key under
 * `<prefix>:`. Each call goes through RedisConnection.run, so it fails fast (and the caller falls
 * back) instead of queueing while Redis is away.
 */
export function createRedisStore(connection: RedisConnection, prefix: string): CacheStore {
  const adapter = new KeyvRedis(connection.client, { namespace: prefix, keyPrefixSeparator: ':', throwOnErrors: true, throwOnConnectError: true, useUnlink: true });
  // keyv hands its own namespace to the adapter, so the prefix is set on both.
  const keyv = new Keyv({ store: adapter, namespace: prefix, useKeyPrefix: false, throwOnErrors: true });
  return {
    kind: 'redis',
    remembers: true,
    getMany: <V>(keys: readonly string[]) => connection.run(async () => (await keyv.getMany<V>([...keys])) as Array<V | undefined>),
    set: (key, value, ttlMs) =>
      connection.run(async () => {
        await keyv.set(key, value, ttlMs);
      }),
    delete: (key) =>
      connection.run(async () => {
        await keyv.delete(key);
      }),
    clear: () => connection.run(() => keyv.clear()),
    close: async () => undefined, // the connection is closed by its owner
  };
}
