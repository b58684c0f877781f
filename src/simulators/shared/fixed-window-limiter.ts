/** The outcome of asking a limiter for one request. */
export interface LimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the window after this one. */
  remaining: number;
  /** Milliseconds until the budget frees up again. */
  resetMs: number;
}

/**
 * Windows aligned to the clock (every whole second for a 1 s window, UTC midnight for a day),
 * which is how Stripe's per-second limit and HubSpot's daily limit behave. Limits are passed per
 * call because a fault can replace them at any time.
 */
export class FixedWindowLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  take(key: string, now: number, limit: number, windowMs: number): LimitDecision {
    const start = Math.floor(now / windowMs) * windowMs;
    let window = this.#windows.get(key);
    if (!window || window.start !== start) {
      window = { start, count: 0 };
      this.#windows.set(key, window);
    }
    const resetMs = start + windowMs - now;
    if (window.count >= limit) return { allowed: false, limit, remaining: 0, resetMs };
    window.count += 1;
    return { allowed: true, limit, remaining: limit - window.count, resetMs };
  }

  /** What `take` would report, without spending anything. */
  peek(key: string, now: number, limit: number, windowMs: number): LimitDecision {
    const start = Math.floor(now / windowMs) * windowMs;
    const window = this.#windows.get(key);
    const used = window && window.start === start ? window.count : 0;
    return { allowed: used < limit, limit, remaining: Math.max(0, limit - used), resetMs: start + windowMs - now };
  }

  reset(): void {
    this.#windows.clear();
  }
}
