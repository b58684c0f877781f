/**
 * How long a whole GraphQL answer stays as fresh as the entities it was built from: the earliest
 * moment any of them stops being fresh, or never-reusable once any of them was stale, failed or
 * bypassed the cache. The result cache reads it to decide whether, and for how long, an answer
 * may be replayed, and when to refresh it ahead of that (see `refreshWithinMs`).
 */
export class AnswerFreshness {
  private until = Number.POSITIVE_INFINITY;
  private shortestTtlMs = Number.POSITIVE_INFINITY;
  private spoiled = false;

  /** An entity used in the answer is fresh until `time` (epoch ms), under a policy that keeps it fresh for `ttlMs`. */
  freshUntil(time: number, ttlMs: number): void {
    this.until = Math.min(this.until, time);
    this.shortestTtlMs = Math.min(this.shortestTtlMs, ttlMs);
  }

  /** The answer used something that must not be replayed (stale data, an error, no cache). */
  spoil(): void {
    this.spoiled = true;
  }

  /** No entity was used and nothing spoiled the answer: freshness alone cannot say how long it holds. */
  get usedNothing(): boolean {
    return !this.spoiled && this.until === Number.POSITIVE_INFINITY;
  }

  /** Milliseconds the answer may be replayed for, or 0. */
  reusableForMs(now = Date.now()): number {
    if (this.spoiled || this.until === Number.POSITIVE_INFINITY) return 0;
    return Math.max(0, this.until - now);
  }

  /**
   * How long before it stops being fresh a replayed answer is built again in the background
   * (result-cache-refresh.ts), or undefined when no entity bounds it. Half the lead at which such
   * a run fetches an entity again (REFRESH_AHEAD_SHARE of its ttl), so that the answer it builds
   * is always fresh for longer than this: every refresh moves the answer's end forward.
   */
  get refreshWithinMs(): number | undefined {
    return this.shortestTtlMs === Number.POSITIVE_INFINITY ? undefined : (this.shortestTtlMs * REFRESH_AHEAD_SHARE) / 2;
  }
}

/**
 * The share of its ttl left at which a refreshing run (CallContext.refreshAhead) fetches an
 * entity again rather than use it: a third, so the refreshed answer stays fresh for at least a
 * third of its shortest ttl (10 s of Stripe's 30), and no entity is fetched more than 1.5 times
 * as often as its ttl alone would.
 */
export const REFRESH_AHEAD_SHARE = 1 / 3;

/** Whether a refreshing run fetches an entity that is fresh until `freshUntil` again: less than REFRESH_AHEAD_SHARE of `ttlMs` is left. */
export function dueForRefresh(freshUntil: number, ttlMs: number, now: number): boolean {
  return freshUntil - now < ttlMs * REFRESH_AHEAD_SHARE;
}
