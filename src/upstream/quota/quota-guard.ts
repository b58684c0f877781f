import { ErrorCode, UpstreamError, type ProviderName } from '../../errors.ts';
import { FairQueue } from '../fair-queue.ts';

/** What the upstream client needs from a quota, local or shared. */
export interface Quota {
  /**
   * Resolves with the milliseconds waited once a request may go; rejects with
   * UPSTREAM_RATE_LIMITED when that would take longer than `maxWaitMs` (default: the configured).
   * Callers are served fairly across `fairnessKey`s (round robin, see FairQueue), and in the
   * order they asked within one key; '' (background work, tests) is one key like any other.
   */
  acquire(maxWaitMs?: number, fairnessKey?: string): Promise<number>;
  /** The provider said stop: nobody goes before `ms` from now. */
  pause(ms: number): void;
}

/** Time and timers, injected so that tests drive the clock instead of sleeping. */
export interface QuotaClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: QuotaClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface QuotaGuardOptions {
  provider: ProviderName;
  /** Requests allowed per window. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /** Longest a request waits for budget before failing with UPSTREAM_RATE_LIMITED. */
  maxWaitMs: number;
  /** Default: `performance.now` and the global timers. */
  clock?: QuotaClock;
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

/** Checks the options every quota shares; a bad one throws a TypeError naming it. */
export function checkQuotaOptions(options: { limit: number; windowMs: number; maxWaitMs: number }): void {
  if (!(Number.isInteger(options.limit) && options.limit >= 1)) throw new TypeError(`limit must be a positive integer: ${options.limit}`);
  if (!(options.windowMs > 0)) throw new TypeError(`windowMs must be a positive number: ${options.windowMs}`);
  if (!(options.maxWaitMs >= 0)) throw new TypeError(`maxWaitMs must not be negative: ${options.maxWaitMs}`);
}

interface Waiter {
  askedAt: number;
  /** The latest time this waiter accepts to go. */
  deadline: number;
  resolve(waitedMs: number): void;
  reject(error: UpstreamError): void;
}

/**
 * Spends a provider's request budget inside this process: never more than `limit` requests in
 * any `windowMs` (a sliding log of send times). A token bucket would be simpler, but its burst
 * plus refill can put up to twice the limit into one of the provider's windows, and providers
 * count fixed (Stripe) or rolling (HubSpot) windows. Written by hand because it also obeys the
 * provider's own word at run time (a 429's Retry-After pauses every caller); cockatiel's
 * bulkhead limits concurrency, not rate.
 *
 * Waiters form one queue, fair across fairness keys (a FairQueue: round robin, FIFO within a
 * key), and each one's wait is exact, read from the log: with the log full, waiter k (0-based,
 * in queue order) goes at `sent[k] + window`, waiter `limit + k` one window after waiter k, and
 * nobody before a pause ends. A caller is refused at once only when that time is past its
 * `maxWaitMs`, so after a burst, callers that fit at the window's rollover wait for it instead of
 * being refused on an average (`waiters · window / limit`).
 *
 * Fair order means a newcomer from a quiet key goes ahead of a flooding key's backlog, so the
 * waiters it passes each move one slot later. Those whose new slot is past their deadline are
 * refused then and there (as after a pause), not at their deadline: a flood pays for itself.
 */
export class QuotaGuard implements Quota {
  /** Send times of the last `limit` requests, oldest first. */
  private readonly sent: number[] = [];
  private pausedUntil = 0;
  private readonly queue = new FairQueue<Waiter>();
  private pump: unknown;
  private readonly windowMs: number;
  private readonly clock: QuotaClock;

  constructor(private readonly options: QuotaGuardOptions) {
    checkQuotaOptions(options);
    this.windowMs = guardedWindowMs(options.windowMs);
    this.clock = options.clock ?? systemClock;
  }

  /** Resolves with the milliseconds waited once a request may go; rejects at once if it would wait past maxWaitMs. */
  acquire(maxWaitMs = this.options.maxWaitMs, fairnessKey = ''): Promise<number> {
    const now = this.clock.now();
    this.serve(now);
    // The waiters ahead of this one in fair order, not all of them, decide its slot.
    const ahead = this.queue.positionFor(fairnessKey);
    const schedule = [...this.sent];
    for (let i = 0; i < ahead; i += 1) schedule.push(this.nextSlot(schedule, now));
    const at = this.nextSlot(schedule, now);
    if (this.queue.size === 0 && at <= now) {
      this.send(now);
      return Promise.resolve(0);
    }
    if (at - now > maxWaitMs) return Promise.reject(this.rateLimited(at - now));
    return new Promise<number>((resolve, reject) => {
      this.queue.push(fairnessKey, { askedAt: now, deadline: now + maxWaitMs, resolve, reject });
      // Those it went ahead of are one slot later now; serve() refuses any that no longer fit.
      if (ahead < this.queue.size - 1) this.serve(now);
      else this.schedule(at, now);
    });
  }

  /** The provider said stop (429 + Retry-After): nobody goes before `ms` from now. */
  pause(ms: number): void {
    const now = this.clock.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + ms);
    // Waiters that can no longer go before their deadline learn it now, not at the deadline.
    this.serve(now);
  }

  // Private:

  /**
   * Walks the queue in order: lets go every waiter whose slot has come, refuses those whose slot
   * is now (after a pause) past their deadline, and sets the timer for the next one.
   */
  private serve(now: number): void {
    if (this.queue.size === 0) return;
    const schedule = [...this.sent];
    let next: number | undefined;
    for (const waiter of this.queue) {
      const at = this.nextSlot(schedule, now);
      if (at <= now) {
        // Slots only move later along the queue, so those that go now are its head.
        this.queue.shift();
        this.send(now);
        schedule.push(now);
        waiter.resolve(now - waiter.askedAt);
      } else if (at > waiter.deadline) {
        this.queue.delete(waiter);
        waiter.reject(this.rateLimited(at - now));
      } else {
        schedule.push(at);
        next ??= at;
      }
    }
    if (this.pump !== undefined) this.clock.clearTimeout(this.pump);
    this.pump = undefined;
    if (next !== undefined) this.schedule(next, now);
  }

  /** The earliest time the request after those in `schedule` (send times, oldest first) may go. */
  private nextSlot(schedule: readonly number[], now: number): number {
    const { limit } = this.options;
    const freedAt = schedule.length < limit ? -Infinity : schedule[schedule.length - limit]! + this.windowMs;
    return Math.max(now, this.pausedUntil, freedAt);
  }

  /** How long ago each request still inside the window was sent, for a shared log to take over. */
  recentSendAges(): number[] {
    const now = this.clock.now();
    return this.sent.filter((at) => now - at < this.windowMs).map((at) => now - at);
  }

  private send(now: number): void {
    this.sent.push(now);
    if (this.sent.length > this.options.limit) this.sent.shift();
  }

  private schedule(at: number, now: number): void {
    if (this.pump !== undefined) return;
    // Timers have millisecond resolution; rounding up never lets a waiter go early.
    this.pump = this.clock.setTimeout(() => {
      this.pump = undefined;
      this.serve(this.clock.now());
    }, Math.max(1, Math.ceil(at - now)));
  }

  private rateLimited(waitMs: number): UpstreamError {
    return budgetSpent(this.options.provider, waitMs);
  }
}

export function budgetSpent(provider: ProviderName, waitMs: number): UpstreamError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  return new UpstreamError(ErrorCode.UpstreamRateLimited, provider, `The ${provider} request budget is spent; retry in ${retryAfter} s`, { retryAfter, byGateway: true });
}
