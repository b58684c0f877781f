import { LRUCache } from 'lru-cache';

/**
 * Margin Redis adds to a fetch's age when it compares it with an invalidation: the age is
 * measured by the writer before its write travels to Redis, whose clock then reads a little
 * later, so a write whose fetch began within this long after an invalidation is refused too.
 * Refusing costs one more fetch; accepting would undo the invalidation. In process the age and
 * the marks share one clock and need no margin.
 */
export const INVALIDATION_MARGIN_MS = 50; // 50 ms

/** How many invalidated keys an in-process store remembers at once (the rest are cleared early). */
const MAX_MARKS = 100_000;

/**
 * When each key of an in-process store was last invalidated, and when the whole store was last
 * cleared, for as long as a fetch begun before could still be running. A write produced by such a
 * fetch is refused: without this, a fetch that started before `invalidate` writes the old value
 * back after it.
 */
export class InvalidationMarks {
  private readonly marks: LRUCache<string, number>;
  /** Writes of fetches begun at or before this are refused: the last clear, or a mark pushed out. */
  private clearedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number) {
    this.marks = new LRUCache<string, number>({
      max: MAX_MARKS,
      perf: { now },
      // A mark pushed out early by a storm of invalidations must still refuse what it refused:
      // forgetting it raises the floor for every key instead.
      dispose: (at, _key, reason) => {
        if (reason === 'evict') this.clearedAt = Math.max(this.clearedAt, at);
      },
    });
  }

  mark(key: string, holdMs: number): void {
    this.marks.set(key, this.now(), { ttl: Math.max(1, holdMs) });
  }

  markAll(): void {
    this.clearedAt = this.now();
    this.marks.clear();
  }

  /** True when `key` was invalidated (or everything cleared) since a fetch `fetchAgeMs` old began. */
  invalidatedSince(key: string, fetchAgeMs: number): boolean {
    const begun = this.now() - fetchAgeMs;
    if (this.clearedAt >= begun) return true;
    const at = this.marks.get(key);
    return at !== undefined && at >= begun;
  }
}
