import { ErrorCode, UpstreamError, type ProviderName } from '../../errors.ts';

/** What the upstream client needs from a quota, local or shared. */
export interface Quota {
  /**
   * Resolves with the milliseconds waited once a request may go; rejects with
   * UPSTREAM_RATE_LIMITED when that would take longer than `maxWaitMs` (default: the configured).
   */
  acquire(maxWaitMs?: number): Promise<number>;
  /** The provider said stop: nobody goes before `ms` from now. */
  pause(ms: number): void;
}

export interface QuotaGuardOptions {
  provider: ProviderName;
  /** Requests allowed per window. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /** Longest a request waits for budget before failing with UPSTREAM_RATE_LIMITED. */
  maxWaitMs: number;
}

/**
 * The window we enforce, a little longer than the provider's: the provider counts a request when
 * it arrives, some time after we send it, and uneven delays (a busy event loop, a slow network
 * path) could otherwise squeeze `limit + 1` arrivals into one of its windows. A tenth of the
 * window, at least 50 ms, costs a tenth of the throughput at saturation and absorbs such spreads.
 */
export function guardedWindowMs(windowMs: number): number {
  return windowMs + Math.max(50, Math.ceil(windowMs / 10));
}

/**
 * Spends a provider's request budget inside this process: never more than `limit` requests in
 * any `windowMs` (a sliding log of send times). A token bucket would be simpler, but its burst
 * plus refill can put up to twice the limit into one of the provider's windows, and providers
 * count fixed (Stripe) or rolling (HubSpot) windows. Written by hand because it also obeys the
 * provider's own word at run time (a 429's Retry-After pauses every caller); cockatiel's
 * bulkhead limits concurrency, not rate.
 */
export class QuotaGuard implements Quota {
  /** Send times of the last `limit` requests, oldest first. */
  private readonly sent: number[] = [];
  private pausedUntil = 0;
  private readonly waiters: Array<{ resolve: () => void; timer: NodeJS.Timeout }> = [];
  private pump: NodeJS.Timeout | undefined;

  constructor(private readonly options: QuotaGuardOptions) {
    if (!(options.limit >= 1)) throw new TypeError(`limit must be a positive number: ${options.limit}`);
    if (!(options.windowMs > 0)) throw new TypeError(`windowMs must be a positive number: ${options.windowMs}`);
    if (!(options.maxWaitMs >= 0)) throw new TypeError(`maxWaitMs must not be negative: ${options.maxWaitMs}`);
  }

  /** Resolves with the milliseconds waited once a request may go; rejects after maxWaitMs. */
  async acquire(maxWaitMs = this.options.maxWaitMs): Promise<number> {
    if (this.waiters.length === 0 && this.tryTake()) return 0;
    const started = performance.now();
    // Waiters queue behind each other, so the wait is at least one slot per waiter ahead.
    const slot = guardedWindowMs(this.options.windowMs) / this.options.limit;
    const expected = this.msUntilFree() + this.waiters.length * slot;
    if (expected > maxWaitMs) throw this.rateLimited(expected);
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(this.rateLimited(this.msUntilFree()));
        }, maxWaitMs),
      };
      this.waiters.push(waiter);
      this.schedule();
    });
    return performance.now() - started;
  }

  /** The provider said stop (429 + Retry-After): nobody goes before `ms` from now. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
  }

  private tryTake(): boolean {
    if (this.msUntilFree() > 0) return false;
    this.sent.push(performance.now());
    if (this.sent.length > this.options.limit) this.sent.shift();
    return true;
  }

  private msUntilFree(): number {
    const now = performance.now();
    const paused = this.pausedUntil - now;
    const oldest = this.sent.length < this.options.limit ? undefined : this.sent[0];
    const windowFull = oldest === undefined ? 0 : oldest + guardedWindowMs(this.options.windowMs) - now;
    return Math.max(0, paused, windowFull);
  }

  private schedule(): void {
    if (this.pump) return;
    this.pump = setTimeout(() => {
      this.pump = undefined;
      while (this.waiters.length > 0 && this.tryTake()) {
        const waiter = this.waiters.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.resolve();
        }
      }
      if (this.waiters.length > 0) this.schedule();
    }, Math.max(1, Math.ceil(this.msUntilFree())));
  }

  private rateLimited(waitMs: number): UpstreamError {
    return budgetSpent(this.options.provider, waitMs);
  }
}

export function budgetSpent(provider: ProviderName, waitMs: number): UpstreamError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  return new UpstreamError(ErrorCode.UpstreamRateLimited, provider, `The ${provider} request budget is spent; retry in ${retryAfter} s`, { retryAfter, byGateway: true });
}
