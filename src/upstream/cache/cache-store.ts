import { LRUCache } from 'lru-cache';
import { InvalidationMarks } from './invalidation-marks.ts';

/**
 * The narrow interface the entity cache needs from a store. Values are plain JSON-able objects.
 * Keys carry a Redis hash tag (`{provider:tenant}`), which the Redis store needs to keep a key
 * and its marks in one Cluster slot; the in-process store ignores it.
 * Every implementation passes the same contract suite (test/upstream/cache/cache-store.test.ts).
 */
export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  /** False for the store that keeps nothing (CACHE_ENABLED=false). */
  readonly remembers: boolean;
  /**
   * `acceptLocal`: which values an in-process copy of a shared store may answer with on its own
   * (those the caller would serve as they are); the rest are read from the shared store. Only a
   * tiered store reading its local copy first uses it (see tiered-store.ts).
   */
  getMany<V>(keys: readonly string[], acceptLocal?: (value: V) => boolean): Promise<Array<V | undefined>>;
  /**
   * The value held for `key` right now, for a store that holds its values in this process (the
   * in-process store, and the tiered store's local copy while it may answer first): a fresh hit
   * then costs the reader no promise (EntityCache.freshNow). Absent, or undefined for every key,
   * where a read must wait (Redis) or where nothing is kept.
   */
  getNow?<V>(key: string): V | undefined;
  /**
   * Stores `value` for `ttlMs`, unless `key` was invalidated (or the store cleared) since the
   * fetch that produced the value began, `fetchAgeMs` ago: a fetch begun before an invalidation
   * must not write its old answer back after it.
   */
  set<V>(key: string, value: V, ttlMs: number, fetchAgeMs: number): Promise<void>;
  /** Drops `key`, and refuses for `holdMs` the writes of fetches begun before now. */
  invalidate(key: string, holdMs: number): Promise<void>;
  /**
   * Replaces `key` with a value derived from what a read `readAgeMs` ago found (an event applied
   * to the cached entity), unless the key was invalidated or replaced since that read; then, as
   * `invalidate` does, refuses for `holdMs` the writes of fetches begun before now, which would
   * write back the state before the change. False when refused: the caller invalidates instead.
   */
  apply(key: string, value: unknown, ttlMs: number, readAgeMs: number, holdMs: number): Promise<boolean>;
  /** Removes every key under this store's prefix, and nothing else; refuses older writes likewise. */
  clear(holdMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A value and how long its store will keep it, as of the answer. */
export interface Expiring<V> {
  value: V;
  ttlMs: number;
}

/** A store whose entries an in-process copy may hold, no longer than the store itself keeps them. */
export interface ExpiringStore extends CacheStore {
  getManyExpiring<V>(keys: readonly string[]): Promise<Array<Expiring<V> | undefined>>;
}

export interface MemoryStoreOptions {
  /** Entries kept before the least recently used go. */
  maxEntries: number;
  /** Estimated bytes kept (keys and values) before the least recently used go. */
  maxBytes: number;
  /** Milliseconds on a monotonic clock; injected by tests. */
  now?: () => number;
}

/**
 * What an entry costs in the heap, estimated without serialising it again: a value parsed from N
 * bytes of JSON takes roughly twice that in V8 objects, a key two bytes a character (UTF-16),
 * plus the LRU's own node. Entity-cache entries carry their JSON size as `bytes`; other values
 * are measured once, here.
 */
function estimatedSize(key: string, value: unknown): number {
  const bytes = (value as { bytes?: unknown } | undefined)?.bytes;
  const json = typeof bytes === 'number' ? bytes : JSON.stringify(value ?? null).length;
  return 2 * key.length + 2 * json + 128;
}

/**
 * The default store: an LRU bounded by entries and by estimated bytes, values kept as objects (no
 * serialisation), so a warm read costs a map lookup. Not behind keyv: keyv's `set` awaits before
 * it stores, and an invalidation landing in that gap was overwritten by the write it had just
 * refused; here the check and the write are one synchronous step.
 */
export function createMemoryStore({ maxEntries, maxBytes, now: injected }: MemoryStoreOptions): ExpiringStore {
  const now = injected ?? (() => performance.now());
  const marks = new InvalidationMarks(now);
  // lru-cache reuses one reading of the clock until a 1 ms timer passes (`ttlResolution`): an
  // injected clock, which moves only when a test says so, must be read every time.
  const lru = new LRUCache<string, object>({ max: maxEntries, maxSize: maxBytes, sizeCalculation: (value, key) => estimatedSize(key, value), perf: { now }, ...(injected ? { ttlResolution: 0 } : {}) });
  return {
    kind: 'memory',
    remembers: true,
    getMany: async <V>(keys: readonly string[]) => keys.map((key) => lru.get(key) as V | undefined),
    getNow: <V>(key: string) => lru.get(key) as V | undefined,
    getManyExpiring: async <V>(keys: readonly string[]) =>
      keys.map((key) => {
        const value = lru.get(key) as V | undefined;
        return value === undefined ? undefined : { value, ttlMs: lru.getRemainingTTL(key) };
      }),
    set: async (key, value, ttlMs, fetchAgeMs) => {
      if (marks.invalidatedSince(key, fetchAgeMs)) return;
      lru.set(key, value as object, { ttl: Math.max(1, ttlMs) });
    },
    invalidate: async (key, holdMs) => {
      marks.mark(key, holdMs);
      lru.delete(key);
    },
    apply: async (key, value, ttlMs, readAgeMs, holdMs) => {
      if (marks.invalidatedSince(key, readAgeMs)) return false;
      lru.set(key, value as object, { ttl: Math.max(1, ttlMs) });
      marks.mark(key, holdMs);
      return true;
    },
    clear: async () => {
      marks.markAll();
      lru.clear();
    },
    close: async () => undefined,
  };
}
