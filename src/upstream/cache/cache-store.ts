import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';

/**
 * The narrow interface the entity cache needs from a store. Values are plain JSON-able objects.
 * Every implementation passes the same contract suite (test/upstream/cache/cache-store.test.ts).
 */
export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  /** False for the store that keeps nothing (CACHE_ENABLED=false). */
  readonly remembers: boolean;
  getMany<V>(keys: readonly string[]): Promise<Array<V | undefined>>;
  set<V>(key: string, value: V, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Removes every key under this store's prefix, and nothing else. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

export interface MemoryStoreOptions {
  /** Entries kept before the least recently used go. */
  maxEntries: number;
}

/**
 * The default store: keyv over a bounded LRU map, values kept as objects (no serialisation), so
 * a warm read costs a map lookup. Bounded because an unbounded Map grows with the data set.
 */
export function createMemoryStore({ maxEntries }: MemoryStoreOptions): CacheStore {
  const lru = new LRUCache<string, object>({ max: maxEntries });
  // keyv hands Map-like stores a ttl number as third argument, which LRUCache reads as options;
  // keyv keeps the expiry inside the value anyway, so the adapter drops it.
  const mapLike = {
    get: (key: string) => lru.get(key),
    set: (key: string, value: object) => Boolean(lru.set(key, value)),
    delete: (key: string) => lru.delete(key),
    clear: () => lru.clear(),
    has: (key: string) => lru.has(key),
  };
  const keyv = new Keyv({ store: mapLike, serialize: undefined, deserialize: undefined, useKeyPrefix: false });
  return {
    kind: 'memory',
    remembers: true,
    getMany: async <V>(keys: readonly string[]) => (await keyv.getMany<V>([...keys])) as Array<V | undefined>,
    set: async (key, value, ttlMs) => {
      await keyv.set(key, value, ttlMs);
    },
    delete: async (key) => {
      await keyv.delete(key);
    },
    clear: async () => {
      await keyv.clear();
    },
    close: async () => undefined,
  };
}
