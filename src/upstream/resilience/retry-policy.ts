import { ErrorCode, UpstreamError, isUpstreamError } from '../../errors.ts';
import type { CallContext } from '../call-context.ts';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Full-jitter backoff: attempt n waits random(0, min(maxDelayMs, baseDelayMs·2ⁿ)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Retries allowed per request sent, over time (0.5: at most one retry per two requests). */
  budgetRatio: number;
  /** Retries always available, so that a quiet provider can still be retried. */
  budgetReserve: number;
}

/**
 * Retries safe requests only (reads, batch reads, writes with an idempotency key) after
 * transient failures, with full-jitter backoff (random(0, min(cap, base·2ⁿ)), so that callers do
 * not retry in step), Retry-After honoured, never past the operation's deadline, and within a
 * retry budget per provider so that retries stay a bounded share of traffic and cannot turn a
 * provider's bad minute into a storm. Hand-written because neither undici's retry interceptor
 * (no jitter, no budget) nor cockatiel's retry policy (no budget shared between calls) does both.
 */
export class RetryPolicy {
  private tokens: number;

  constructor(private readonly options: RetryOptions) {
    if (!(options.maxAttempts >= 1)) throw new TypeError(`maxAttempts must be at least 1: ${options.maxAttempts}`);
    this.tokens = options.budgetReserve;
  }

  async run<T>(call: CallContext, safe: boolean, attempt: () => Promise<T>): Promise<T> {
    this.deposit();
    for (let n = 1; ; n += 1) {
      try {
        return await attempt();
      } catch (error) {
        const delay = this.delayBeforeRetry(error, n);
        if (!safe || delay === undefined || delay >= call.remainingMs() || !this.withdraw()) throw error;
        await sleep(delay, call.signal);
      }
    }
  }

  /** undefined when the failure is not worth another attempt. */
  private delayBeforeRetry(error: unknown, attempt: number): number | undefined {
    if (attempt >= this.options.maxAttempts || !isUpstreamError(error)) return undefined;
    const jitter = Math.random() * Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** attempt);
    if (error.code === ErrorCode.UpstreamRateLimited && error.retryAfter !== undefined) return Math.max(jitter, error.retryAfter * 1000);
    return error.transient ? jitter : undefined;
  }

  private deposit(): void {
    const cap = this.options.budgetReserve + 100 * this.options.budgetRatio;
    this.tokens = Math.min(cap, this.tokens + this.options.budgetRatio);
  }

  private withdraw(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
