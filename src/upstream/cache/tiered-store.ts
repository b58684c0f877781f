import type { CacheStore } from './cache-store.ts';

/** Invalidations waiting for Redis; past this many, Redis is cleared instead when it is back. */
const MAX_PENDING = 10_000;

export interface TieredStore extends CacheStore {
  /** The in-process copy alone: what another instance's invalidation must reach here. */
  readonly local: CacheStore;
}

/**
 * Redis first, the in-process store when Redis cannot answer. Writes go to both, so the local
 * copy is warm when Redis goes away. A failing Redis call is never an error for the request:
 * RedisConnection has logged the change of state once, and the local store answers.
 *
 * An invalidation Redis could not take is remembered and applied before Redis is read or written
 * again, so that the stale entry does not come back with Redis.
 */
export function createTieredStore(shared: CacheStore, local: CacheStore): TieredStore {
  // Each remembered invalidation is its own object, so that one remembered again while a replay
  // is running is not forgotten when the older one is done (compared by identity).
  const pending = new Map<string, { holdMs: number }>();
  let pendingClear: { holdMs: number } | undefined;
  let replaying: Promise<void> | undefined;

  const replayOnce = async (): Promise<void> => {
    const clear = pendingClear;
    if (clear) {
      await shared.clear(clear.holdMs);
      if (pendingClear === clear) pendingClear = undefined;
    }
    const batch = [...pending];
    await Promise.all(batch.map(([key, { holdMs }]) => shared.invalidate(key, holdMs)));
    for (const [key, entry] of batch) if (pending.get(key) === entry) pending.delete(key);
  };
  // One replay at a time, shared by every request that finds Redis back.
  const replay = (): Promise<void> =>
    (replaying ??= replayOnce().finally(() => {
      replaying = undefined;
    }));
  const remember = (key: string, holdMs: number) => {
    if (pendingClear !== undefined) return;
    pending.set(key, { holdMs });
    if (pending.size > MAX_PENDING) {
      pendingClear = { holdMs };
      pending.clear();
    }
  };
  const sharedFirst = async <T>(work: () => Promise<T>): Promise<T> => {
    if (pending.size > 0 || pendingClear !== undefined) await replay();
    return work();
  };

  return {
    kind: shared.kind,
    remembers: true,
    local,
    getMany: async <V>(keys: readonly string[]) => {
      try {
        return await sharedFirst(() => shared.getMany<V>(keys));
      } catch {
        return local.getMany<V>(keys);
      }
    },
    set: async (key, value, ttlMs, fetchAgeMs) => {
      await Promise.all([local.set(key, value, ttlMs, fetchAgeMs), sharedFirst(() => shared.set(key, value, ttlMs, fetchAgeMs)).catch(() => undefined)]);
    },
    invalidate: async (key, holdMs) => {
      await Promise.all([local.invalidate(key, holdMs), sharedFirst(() => shared.invalidate(key, holdMs)).catch(() => remember(key, holdMs))]);
    },
    // Both tiers, each guarded by its own marks; when Redis cannot take it, the key is dropped
    // there as soon as it is back, as for an invalidation, so its old value does not return.
    apply: async (key, value, ttlMs, readAgeMs, holdMs) => {
      const [applied] = await Promise.all([
        sharedFirst(() => shared.apply(key, value, ttlMs, readAgeMs, holdMs)).catch(() => {
          remember(key, holdMs);
          return undefined;
        }),
        local.apply(key, value, ttlMs, readAgeMs, holdMs),
      ]);
      return applied ?? false;
    },
    clear: async (holdMs) => {
      await Promise.all([
        local.clear(holdMs),
        shared.clear(holdMs).catch(() => {
          pendingClear = { holdMs };
          pending.clear();
        }),
      ]);
    },
    close: async () => {
      await Promise.all([local.close(), shared.close()]);
    },
  };
}
