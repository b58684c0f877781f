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
  /**
   * A request `acquire` let go has its answer (or failed): the provider has counted it by now.
   * Until then it counts as sent at every moment, since nobody knows when it reaches the
   * provider. Call it once per request let go; which one does not matter (see QuotaGuard).
   */
  settle(): void;
  /** The provider said stop: nobody goes before `ms` from now. */
  pause(ms: number): void;
  /** The budget as this process sees it, read synchronously and cheaply (a metrics scrape). */
  snapshot(): QuotaSnapshot;
}

export interface QuotaSnapshot {
  /** Requests allowed per window. */
  limit: number;
  /** Requests that may still go in the current window. */
  remaining: number;
  /** Milliseconds until the oldest counted request leaves the window (0: none counted). */
  resetInMs: number;
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
 * The window we enforce, a little longer than the provider's. A request counts in the log from
 * when it is let go until its answer comes, as sent "now" (see QuotaGuard), so how late it
 * reaches the provider no longer matters; the band is kept as a margin for what the log cannot
 * see (the provider's clock and window edges, a request that arrives after we gave up on it).
 * A tenth of the window, at least 50 ms, costs a tenth of the throughput at saturation.
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
 * A request counts as sent at the moment the provider counts it, which the gateway cannot see:
 * between the quota letting it go and its bytes reaching the provider lie the event loop, undici's
 * queue for a free connection and the network. On a saturated machine (the fairness bench, 2
 * cores) that took up to 0.7 s, far past the guard band, and let a late request land in the
 * provider's window with `limit` sent a window after it: 429s. So a request in flight counts as
 * sent *now*, at every moment, until `settle()` says its answer came, and then as sent at that
 * moment, which is no earlier than its arrival. A request let go `limit` later thus goes at least
 * a window after the provider counted this one, whatever the delays. In-flight requests are
 * interchangeable in the log (all "now"), so `settle()` needs no handle: any one of them becomes
 * "sent at the settle time". The cost: each slot is held for the provider's answer time too.
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
  /** When the last `limit` settled requests were answered, oldest first. */
  private readonly sent: number[] = [];
  /** Requests let go and not yet settled: they count as sent at every `now`. */
  private inFlight = 0;
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
    this.forgetOlderThanWindow(now);
    // Room in the window and nobody waiting: the common case needs no schedule (a copy of the log).
    if (this.queue.size === 0 && this.pausedUntil <= now && this.sent.length + this.inFlight < this.options.limit) {
      this.send();
      return Promise.resolve(0);
    }
    this.serve(now);
    // The waiters ahead of this one in fair order, not all of them, decide its slot.
    const ahead = this.queue.positionFor(fairnessKey);
    const schedule = this.log(now);
    for (let i = 0; i < ahead; i += 1) schedule.push(this.nextSlot(schedule, now));
    const at = this.nextSlot(schedule, now);
    if (this.queue.size === 0 && at <= now) {
      this.send();
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

  settle(): void {
    if (this.inFlight === 0) return;
    const now = this.clock.now();
    this.inFlight -= 1;
    this.sent.push(now);
    if (this.sent.length > this.options.limit) this.sent.shift();
    this.forgetOlderThanWindow(now);
    // Frees nothing now, but fixes the slots that moved with `now` until this answer came.
    this.serve(now);
  }

  /** The provider said stop (429 + Retry-After): nobody goes before `ms` from now. */
  pause(ms: number): void {
    const now = this.clock.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + ms);
    // Waiters that can no longer go before their deadline learn it now, not at the deadline.
    this.serve(now);
  }

  snapshot(): QuotaSnapshot {
    return windowSnapshot({ limit: this.options.limit, windowMs: this.windowMs, now: this.clock.now(), inFlight: this.inFlight, sent: this.sent, blockedUntil: this.pausedUntil });
  }

  // Private:

  /**
   * Walks the queue in order: lets go every waiter whose slot has come, refuses those whose slot
   * is now (after a pause) past their deadline, and sets the timer for the next one.
   */
  private serve(now: number): void {
    if (this.queue.size === 0) return;
    const schedule = this.log(now);
    let next: number | undefined;
    for (const waiter of this.queue) {
      const at = this.nextSlot(schedule, now);
      if (at <= now) {
        // Slots only move later along the queue, so those that go now are its head.
        this.queue.shift();
        this.send();
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

  /** How long ago each request still inside the window was sent (0: in flight), for a shared log to take over. */
  recentSendAges(): number[] {
    const now = this.clock.now();
    return this.log(now).filter((at) => now - at < this.windowMs).map((at) => now - at);
  }

  /**
   * A request answered a window ago or more frees its slot whatever else happened (nextSlot would
   * put it at `now`), so the log keeps only the window: with a raised limit it would otherwise
   * hold `limit` times, copied on every schedule.
   */
  private forgetOlderThanWindow(now: number): void {
    let expired = 0;
    while (expired < this.sent.length && this.sent[expired]! + this.windowMs <= now) expired += 1;
    if (expired > 0) this.sent.splice(0, expired);
  }

  /** The log as of `now`, oldest first: settled requests, then those in flight, as sent `now`. */
  private log(now: number): number[] {
    const log = [...this.sent];
    for (let i = 0; i < this.inFlight; i += 1) log.push(now);
    return log.slice(-this.options.limit);
  }

  /** Counts a request let go: in flight until settled. */
  private send(): void {
    this.inFlight += 1;
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

/**
 * What a sliding log of sends looks like to a scrape, read without forgetting anything (a scrape
 * changes nothing): calls in flight count as sent now, and nothing is left while the provider
 * (or Redis) said to wait. Shared by the local and the shared quota, which keep the same log.
 */
export function windowSnapshot(log: { limit: number; windowMs: number; now: number; inFlight: number; sent: Iterable<number>; blockedUntil: number }): QuotaSnapshot {
  const { limit, windowMs, now } = log;
  let counted = log.inFlight;
  let oldest = counted > 0 ? now : Infinity;
  for (const at of log.sent) {
    if (at + windowMs <= now) continue;
    counted += 1;
    oldest = Math.min(oldest, at);
  }
  const blocked = log.blockedUntil > now;
  return {
    limit,
    remaining: blocked ? 0 : Math.max(0, limit - counted),
    resetInMs: Math.max(blocked ? log.blockedUntil - now : 0, oldest === Infinity ? 0 : oldest + windowMs - now),
  };
}

export function budgetSpent(provider: ProviderName, waitMs: number): UpstreamError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  return new UpstreamError(ErrorCode.UpstreamRateLimited, provider, `The ${provider} request budget is spent; retry in ${retryAfter} s`, { retryAfter, byGateway: true });
}
