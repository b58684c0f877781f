/**
 * How long a whole GraphQL answer stays as fresh as the entities it was built from: the earliest
 * moment any of them stops being fresh, or never-reusable once any of them was stale, failed or
 * bypassed the cache. The result cache reads it to decide whether, and for how long, an answer
 * may be replayed.
 */
export class AnswerFreshness {
  private until = Number.POSITIVE_INFINITY;
  private spoiled = false;

  /** An entity used in the answer is fresh until `time` (epoch ms). */
  freshUntil(time: number): void {
    this.until = Math.min(this.until, time);
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
}
