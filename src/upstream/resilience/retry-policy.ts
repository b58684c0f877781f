import { ErrorCode, isUpstreamError } from '../../errors.ts';
import type { CallContext } from '../call-context.ts';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Full-jitter backoff: attempt n waits random(0, min(maxDelayMs, baseDelayMs·2ⁿ)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Retries allowed per request sent within the budget window (0.5: one retry per two requests). */
  budgetRatio: number;
  /** Retries allowed within any budget window whatever the traffic, so a quiet provider can still be retried. */
  budgetReserve: number;
  /** How long a request's deposit (and a retry's withdrawal) counts; default 10 s. */
  budgetWindowMs?: number;
  /** Milliseconds on a monotonic clock; default `performance.now`. */
  now?: () => number;
  /** Uniform in [0, 1), for the jitter; default `Math.random`. Tests pass a seeded one. */
  random?: () => number;
  /** Waits `ms`; default a timer. Tests pass one that moves their clock instead. */
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_BUDGET_WINDOW_MS = 10 * 1000; // 10 s, Finagle's default RetryBudget ttl
/** The window is counted in this many slices; a slice's counts expire together. */
const BUDGET_SLICES = 10;

/**
 * Retries safe requests only (reads, batch reads, writes with an idempotency key) after
 * transient failures, with full-jitter backoff (random(0, min(cap, base·2ⁿ)), so that callers do
 * not retry in step), Retry-After honoured, never past the operation's deadline, and within a
 * retry budget per provider so that retries stay a bounded share of traffic and cannot turn a
 * provider's bad minute into a storm. Hand-written because neither undici's retry interceptor
 * (no jitter, no budget) nor cockatiel's retry policy (no budget shared between calls) does both.
 *
 * The budget is Finagle's RetryBudget (com.twitter.finagle.service.RetryBudget): every request
 * deposits `budgetRatio` tokens, every retry withdraws one, and both expire after
 * `budgetWindowMs`, on top of `budgetReserve` per window. So within any window, retries ≤
 * reserve + ratio · requests. Tokens that never expired (our first version) let a quiet hour bank
 * a burst of retries that the first outage then spends all at once. gRPC's retry throttling
 * (gRFC A6) was the other candidate; it earns tokens from successes and loses them to failures,
 * which never decays either and couples the budget to the error rate rather than to traffic.
 *
 * Failures the gateway caused itself (`byGateway`: its quota refused, its deadline passed, its
 * bulkhead is full, its circuit is open) are never retried: repeating them cannot help, a quota
 * refusal would wait past QUOTA_MAX_WAIT_MS, and they must not spend the budget.
 */
export class RetryPolicy {
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Deposits minus withdrawals per time slice, the newest last; slices older than the window drop out. */
  private readonly slices: Array<{ index: number; balance: number }> = [];

  constructor(private readonly options: RetryOptions) {
    if (!(Number.isInteger(options.maxAttempts) && options.maxAttempts >= 1)) throw new TypeError(`maxAttempts must be an integer of at least 1: ${options.maxAttempts}`);
    if (!(options.baseDelayMs >= 0)) throw new TypeError(`baseDelayMs must not be negative: ${options.baseDelayMs}`);
    if (!(options.maxDelayMs >= 0)) throw new TypeError(`maxDelayMs must not be negative: ${options.maxDelayMs}`);
    if (!(options.budgetRatio >= 0)) throw new TypeError(`budgetRatio must not be negative: ${options.budgetRatio}`);
    if (!(options.budgetReserve >= 0)) throw new TypeError(`budgetReserve must not be negative: ${options.budgetReserve}`);
    this.windowMs = options.budgetWindowMs ?? DEFAULT_BUDGET_WINDOW_MS;
    if (!(this.windowMs > 0)) throw new TypeError(`budgetWindowMs must be a positive number: ${options.budgetWindowMs}`);
    this.now = options.now ?? (() => performance.now());
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? sleep;
  }

  async run<T>(call: CallContext, safe: boolean, attempt: () => Promise<T>): Promise<T> {
    this.add(this.options.budgetRatio);
    for (let n = 1; ; n += 1) {
      try {
        return await attempt();
      } catch (error) {
        const delay = this.delayBeforeRetry(error, n);
        if (!safe || delay === undefined || delay >= call.remainingMs() || !this.withdraw()) throw error;
        await this.sleep(delay);
      }
    }
  }

  /** Retries the budget allows now (for tests and diagnostics). */
  get available(): number {
    return this.options.budgetReserve + this.balance();
  }

  /** undefined when the failure is not worth another attempt. */
  private delayBeforeRetry(error: unknown, attempt: number): number | undefined {
    if (attempt >= this.options.maxAttempts || !isUpstreamError(error) || error.byGateway) return undefined;
    const jitter = this.random() * Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** attempt);
    if (error.code === ErrorCode.UpstreamRateLimited && error.retryAfter !== undefined) return Math.max(jitter, error.retryAfter * 1000);
    return error.transient ? jitter : undefined;
  }

  private withdraw(): boolean {
    if (this.available < 1) return false;
    this.add(-1);
    return true;
  }

  // Private: the windowed adder (Finagle's WindowedAdder), BUDGET_SLICES slices of the window.

  private add(amount: number): void {
    const index = this.sliceIndex();
    this.expire(index);
    const last = this.slices.at(-1);
    if (last?.index === index) last.balance += amount;
    else this.slices.push({ index, balance: amount });
  }

  private balance(): number {
    this.expire(this.sliceIndex());
    return this.slices.reduce((sum, slice) => sum + slice.balance, 0);
  }

  private expire(current: number): void {
    while (this.slices.length > 0 && this.slices[0]!.index <= current - BUDGET_SLICES) this.slices.shift();
  }

  private sliceIndex(): number {
    return Math.floor(this.now() / (this.windowMs / BUDGET_SLICES));
  }
}

/**
 * A plain timer: a retry waits only when its delay ends before the operation's deadline, so there
 * is no need to listen for the deadline (a listener per sleeping call on the operation's one
 * signal made Node warn of a leak when a page's forty calls retried at once).
 */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
