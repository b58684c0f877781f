import { randomUUID } from 'node:crypto';
import { BoundedExpiryMap } from './bounded-expiry-map.ts';
import { claimOutcomeFor, decodeIdempotencyEntry, encodeIdempotencyEntry } from './idempotency-entry.ts';
import type { Claim, IdempotencyStore, StoredResponse } from './idempotency-store.ts';
import { wholeMs } from './whole-ms.ts';

export interface MemoryIdempotencyStoreOptions {
  /** Milliseconds since the epoch (default `Date.now`); tests pass a clock they drive. */
  now?: () => number;
  /** Keys kept at most; expired ones go first, then the oldest (default 100 000). */
  maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 100_000; // keys claimed or completed within their ttl, in one process

/**
 * The embedded default: idempotency keys of this process alone, expiring by its clock. Each
 * method runs to its end without awaiting, so no two calls interleave on a key.
 *
 * The bound can drop a live key: a repeat of that request then runs again instead of being
 * replayed (or, for a key still in progress, runs beside it, and the first one's `complete`
 * answers false). That is acceptable here because the bound is reached only with more than
 * maxEntries keys live at once in one process, the oldest go first (their clients have mostly
 * stopped retrying), and without it a client sending fresh keys could grow the process without
 * limit. A deployment that needs the guarantee across instances, or under that load, uses Redis.
 */
export function createMemoryIdempotencyStore(options: MemoryIdempotencyStoreOptions = {}): IdempotencyStore {
  const now = options.now ?? Date.now;
  const entries = new BoundedExpiryMap<string>(options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const held = (key: string, at: number) => {
    const text = entries.get(key, at);
    return text === undefined ? undefined : decodeIdempotencyEntry(text);
  };
  return {
    kind: 'memory',
    claim: async (key: string, fingerprint: string, leaseMs: number): Promise<Claim> => {
      const lease = wholeMs('leaseMs', leaseMs);
      const at = now();
      const holder = held(key, at);
      if (holder) return claimOutcomeFor(holder, fingerprint);
      const token = randomUUID();
      entries.set(key, encodeIdempotencyEntry({ fingerprint, token }), at + lease, at);
      return { outcome: 'claimed', token };
    },
    complete: async (key: string, token: string, response: StoredResponse, ttlMs: number): Promise<boolean> => {
      const ttl = wholeMs('ttlMs', ttlMs);
      const at = now();
      const holder = held(key, at);
      if (holder?.token !== token) return false;
      // A second complete of one claim keeps the first response, as in Redis: it is a retry of
      // a complete whose answer was lost (see redis-idempotency-store.ts).
      if (holder.response) return true;
      entries.set(key, encodeIdempotencyEntry({ fingerprint: holder.fingerprint, token, response }), at + ttl, at);
      return true;
    },
    release: async (key: string, token: string): Promise<void> => {
      const holder = held(key, now());
      // A completed key is kept: its response is what a repeat must get, whatever comes after.
      if (holder?.token === token && !holder.response) entries.delete(key);
    },
  };
}
