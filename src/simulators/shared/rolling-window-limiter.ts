import type { LimitDecision } from './fixed-window-limiter.ts';

/**
 * A sliding log: a request is allowed when fewer than `limit` were allowed in the last
 * `windowMs`. HubSpot's burst limit is a rolling ten seconds (policy TEN_SECONDLY_ROLLING), so a
 * fixed window would let twice the budget through across a window edge.
 */
export class RollingWindowLimiter {
  readonly #hits = new Map<string, number[]>();

  take(key: string, now: number, limit: number, windowMs: number): LimitDecision {
    let hits = this.#hits.get(key);
    if (!hits) {
      hits = [];
      this.#hits.set(key, hits);
    }
    while (hits.length > 0 && (hits[0] ?? 0) <= now - windowMs) hits.shift();
    if (hits.length >= limit) {
      const oldest = hits[hits.length - limit] ?? now;
      return { allowed: false, limit, remaining: 0, resetMs: Math.max(1, oldest + windowMs - now) };
    }
    hits.push(now);
    return { allowed: true, limit, remaining: limit - hits.length, resetMs: (hits[0] ?? now) + windowMs - now };
  }

  reset(): void {
    this.#hits.clear();
  }
}
