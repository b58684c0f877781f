import type { CacheStore } from './cache-store.ts';

/**
 * Redis first, the in-process store when Redis cannot answer. Writes go to both, so the local
 * copy is warm when Redis goes away. A failing Redis call is never an error for the request:
 * RedisConnection has logged the change of state once, and the local store answers.
 */
export function createTieredStore(shared: CacheStore, local: CacheStore): CacheStore {
  return {
    kind: shared.kind,
    remembers: true,
    getMany: async <V>(keys: readonly string[]) => {
      try {
        return await shared.getMany<V>(keys);
      } catch {
        return local.getMany<V>(keys);
      }
    },
    set: async (key, value, ttlMs) => {
      await Promise.all([local.set(key, value, ttlMs), shared.set(key, value, ttlMs).catch(() => undefined)]);
    },
    delete: async (key) => {
      await Promise.all([local.delete(key), shared.delete(key).catch(() => undefined)]);
    },
    clear: async () => {
      await Promise.all([local.clear(), shared.clear().catch(() => undefined)]);
    },
    close: async () => {
      await Promise.all([local.close(), shared.close()]);
    },
  };
}
