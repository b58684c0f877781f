/**
 * A queue whose order is fair across keys (clients): start-time fair queuing with unit cost.
 * Each entry gets a tag, `max(round being served, its key's last tag) + 1`, and the queue is kept
 * sorted by tag, then by arrival. So a key's n-th waiter goes in round n, whoever else waits: a
 * newcomer from a quiet key is served within the next round, ahead of a flooding key's backlog,
 * and a key alone in the queue is served in arrival order (FIFO), as before.
 *
 * Plain round robin over per-key queues would give the same order, but this one can also say, at
 * arrival, where a newcomer goes (`positionFor`): the quota needs that position to compute each
 * waiter's exact wait, and it is what lets one sorted array serve both the bulkhead and the quota.
 */
export class FairQueue<T> {
  private readonly entries: Entry<T>[] = [];
  /** Last tag given to each key that still has entries queued. */
  private readonly lastTag = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  /** The tag of the last entry served: the round being served. */
  private round = 0;
  private arrivals = 0;

  get size(): number {
    return this.entries.length;
  }

  sizeOf(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Where an entry pushed now for `key` would go (0 = the head). */
  positionFor(key: string): number {
    return this.indexOf(this.tagFor(key), this.arrivals);
  }

  /** Queues `item` for `key`; returns its position. */
  push(key: string, item: T): number {
    const tag = this.tagFor(key);
    const arrival = this.arrivals++;
    const index = this.indexOf(tag, arrival);
    this.entries.splice(index, 0, { key, tag, arrival, item });
    this.lastTag.set(key, tag);
    this.counts.set(key, this.sizeOf(key) + 1);
    return index;
  }

  /** Takes the head to serve it; the round moves on to its tag. */
  shift(): T | undefined {
    const head = this.entries.shift();
    if (!head) return undefined;
    this.round = Math.max(this.round, head.tag);
    this.forget(head.key);
    return head.item;
  }

  /** Takes `item` out unserved (it gave up or was refused); false if it was not queued. */
  delete(item: T): boolean {
    const index = this.entries.findIndex((entry) => entry.item === item);
    if (index < 0) return false;
    const [entry] = this.entries.splice(index, 1);
    this.forget(entry!.key);
    return true;
  }

  /** The key with the most entries queued (ties: the one that most recently began to wait), if any. */
  longestKey(): string | undefined {
    let longest: string | undefined;
    for (const [key, count] of this.counts) if (longest === undefined || count >= this.sizeOf(longest)) longest = key;
    return longest;
  }

  /** The entry of `key` that would be served last. */
  lastOf(key: string): T | undefined {
    for (let i = this.entries.length - 1; i >= 0; i -= 1) if (this.entries[i]!.key === key) return this.entries[i]!.item;
    return undefined;
  }

  /** The items in the order they will be served. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (const entry of [...this.entries]) yield entry.item;
  }

  // Private:

  private tagFor(key: string): number {
    return Math.max(this.round, this.lastTag.get(key) ?? this.round) + 1;
  }

  /** The index before the first entry that sorts after (tag, arrival): a binary search. */
  private indexOf(tag: number, arrival: number): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.entries[mid]!;
      if (entry.tag < tag || (entry.tag === tag && entry.arrival < arrival)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** A key with nothing queued starts afresh: its next entry goes in the next round. */
  private forget(key: string): void {
    const count = this.sizeOf(key) - 1;
    if (count > 0) {
      this.counts.set(key, count);
      return;
    }
    this.counts.delete(key);
    this.lastTag.delete(key);
  }
}

interface Entry<T> {
  key: string;
  tag: number;
  arrival: number;
  item: T;
}
