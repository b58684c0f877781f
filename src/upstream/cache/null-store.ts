import type { CacheStore } from './cache-store.ts';

/** CACHE_ENABLED=false: remembers nothing, so every request is answered cold. */
export function createNullStore(): CacheStore {
  return {
    kind: 'memory',
    remembers: false,
    getMany: async <V>(keys: readonly string[]) => keys.map((): V | undefined => undefined),
    set: async () => undefined,
    invalidate: async () => undefined,
    apply: async () => false,
    clear: async () => undefined,
    close: async () => undefined,
  };
}
