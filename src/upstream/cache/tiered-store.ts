import type { CacheStore, Expiring, ExpiringStore } from './cache-store.ts';

/** Invalidations waiting for Redis; past this many, Redis is cleared instead when it is back. */
const MAX_PENDING = 10_000;

export interface TieredStore extends CacheStore {
  /** The in-process copy alone: what another instance's invalidation must reach here. */
  readonly local: CacheStore;
  /**
   * Whether a read the caller lets the local copy answer (`acceptLocal`) tries it first. True
   * only while every other instance's invalidation reaches the local copy (the invalidation
   * channel is subscribed and has not been interrupted since the copy was last emptied): set it
   * true right after emptying the copy, false as soon as the channel is interrupted.
   */
  localFirst: boolean;
}

export interface TieredStoreOptions {
  /** Milliseconds on the local store's clock (the age of a read it is filled from). */
  now?: () => number;
}

/**
 * Redis first, the in-process store when Redis cannot answer. Writes go to both, so the local
 * copy is warm when Redis goes away. A failing Redis call is never an error for the request:
 * RedisConnection has logged the change of state once, and the local store answers.
 *
 * While `localFirst`, the local copy answers first for what the caller accepts from it (a fresh
 * entry), and Redis for the rest, whose answers then fill the local copy for no longer than
 * Redis keeps them. Redis read and parsed ~250 entities for every warm W3 page; the local copy
 * hands out the objects it holds. Another instance's invalidation reaches the copy through the
 * invalidation channel, after its message arrives, instead of at once: hence only while the
 * channel is known to be listening. A fill is a write guarded by the local marks, like any other:
 * a Redis answer read before an invalidation reached this instance is not kept after it.
 *
 * An invalidation Redis could not take is remembered and applied before Redis is read or written
 * again, so that the stale entry does not come back with Redis.
 */
export function createTieredStore(shared: ExpiringStore, local: CacheStore, { now = () => performance.now() }: TieredStoreOptions = {}): TieredStore {
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

  const localFirstRead = async <V>(keys: readonly string[], acceptLocal: (value: V) => boolean): Promise<Array<V | undefined>> => {
    const values = await local.getMany<V>(keys);
    const missing: number[] = [];
    values.forEach((value, index) => {
      if (value === undefined || !acceptLocal(value)) missing.push(index);
    });
    if (missing.length === 0) return values;
    const begunAt = now();
    let answered: Array<Expiring<V> | undefined>;
    try {
      answered = await sharedFirst(() => shared.getManyExpiring<V>(missing.map((index) => keys[index]!)));
    } catch {
      return values;
    }
    const fills: Array<Promise<void>> = [];
    missing.forEach((index, n) => {
      const found = answered[n];
      values[index] = found?.value;
      // Not while the channel is down: the copy is emptied when it is back anyway.
      if (found && found.ttlMs > 0 && api.localFirst) fills.push(local.set(keys[index]!, found.value, found.ttlMs, now() - begunAt));
    });
    await Promise.all(fills);
    return values;
  };

  const api: TieredStore = {
    kind: shared.kind,
    remembers: true,
    local,
    localFirst: false,
    // While the local copy may answer first, it may answer at once: EntityCache.freshNow accepts
    // only what `acceptLocal` would (fresh by the age the entry had in Redis).
    ...(local.getNow ? { getNow: <V>(key: string) => (api.localFirst ? local.getNow!<V>(key) : undefined) } : {}),
    getMany: async <V>(keys: readonly string[], acceptLocal?: (value: V) => boolean) => {
      if (acceptLocal && api.localFirst) return localFirstRead(keys, acceptLocal);
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
  return api;
}
