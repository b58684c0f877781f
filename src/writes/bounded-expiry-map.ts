/**
 * A Map whose entries expire by an injected clock, read lazily, and which holds at most
 * `maxEntries`: the in-process side of the write stores (memory-idempotency-store.ts,
 * memory-write-record-store.ts). Values are kept as given; the stores keep JSON strings, so what
 * a caller reads back is a copy, as it is from Redis.
 *
 * When it is full, an insert first drops the expired entries, then the oldest (least recently
 * written) until `headroom` entries are free. Freeing more than the one slot needed is what keeps
 * the cost bounded: a full scan for expired entries then happens once per `headroom` inserts at
 * most, not on every insert, which a client sending a stream of fresh keys would otherwise force.
 * What that costs is a few of the oldest entries dropped early, and only when the map is full.
 */
export class BoundedExpiryMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly headroom: number;

  constructor(private readonly maxEntries: number) {
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError(`maxEntries must be a positive integer: ${maxEntries}`);
    this.headroom = Math.ceil(maxEntries / 64);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, unless it is missing or expired at `now` (an expired one is dropped). */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (ms, on the same clock as `now`), as the newest entry. */
  set(key: string, value: V, expiresAt: number, now: number): void {
    // Deleted first so that it is inserted last: the Map's order is then oldest write first.
    const replacing = this.entries.delete(key);
    if (!replacing && this.entries.size >= this.maxEntries) this.makeRoom(now);
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  // Private: dropping entries when full.

  private makeRoom(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    const keep = this.maxEntries - this.headroom;
    for (const key of this.entries.keys()) {
      if (this.entries.size <= keep) break;
      this.entries.delete(key);
    }
  }
}
