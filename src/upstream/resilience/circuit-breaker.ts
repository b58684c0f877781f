import { ErrorCode, UpstreamError, isUpstreamError, type ProviderName } from '../../errors.ts';

export interface CircuitBreakerOptions {
  provider: ProviderName;
  /** Share of failed calls (0–1) over the window that opens the circuit. */
  failureRate: number;
  /** Sampling window in milliseconds. */
  windowMs: number;
  /** Calls per second below which the circuit never opens (a trickle proves nothing). */
  minCallsPerSecond: number;
  /** How long the circuit stays open before one probe may go (half open). */
  halfOpenAfterMs: number;
  /** Told of every change of state, once. */
  onStateChange?: (state: BreakerState) => void;
  now?: () => number;
}

export type BreakerState =
  | { kind: 'closed' }
  | { kind: 'open'; since: number; probeAt: number }
  | { kind: 'half-open'; probing: boolean };

/** How a call that the breaker let through ended, from the provider's point of view. */
export interface BreakerTicket {
  /** `error` undefined: the provider answered. */
  settle(error?: unknown): void;
}

/** The window is kept as this many buckets, so old calls leave it a bucket at a time. */
const BUCKETS = 10;

/**
 * One circuit per provider: the share of failures over a sliding window opens it; after
 * `halfOpenAfterMs` a single probe may go, and its outcome closes or reopens it. What counts as
 * failure: the provider being unreachable, failing (5xx) or too slow for a whole attempt. A 4xx, a
 * 429 or a bad body is an answer and counts as success. What the gateway did to its own call (its
 * deadline cut it, its quota refused it: `byGateway`) counts as nothing at all, and a probe that
 * ends so leaves the circuit half open for the next call to probe.
 *
 * Written here rather than taken from cockatiel, which this project used before: cockatiel treats
 * an error its filter does not handle as a success, so a half-open probe cut by our own deadline
 * closed the circuit, and it reads `Date.now()` itself, so tests could not drive its clock.
 */
export class CircuitBreaker {
  private current: BreakerState = { kind: 'closed' };
  private readonly buckets: Array<{ start: number; calls: number; failures: number }> = [];
  private readonly bucketMs: number;
  private readonly minCalls: number;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!(options.failureRate > 0 && options.failureRate <= 1)) throw new TypeError(`failureRate must be in (0, 1]: ${options.failureRate}`);
    if (!(options.windowMs >= BUCKETS)) throw new TypeError(`windowMs must be at least ${BUCKETS}: ${options.windowMs}`);
    if (!(options.minCallsPerSecond >= 0)) throw new TypeError(`minCallsPerSecond must not be negative: ${options.minCallsPerSecond}`);
    if (!(options.halfOpenAfterMs > 0)) throw new TypeError(`halfOpenAfterMs must be positive: ${options.halfOpenAfterMs}`);
    this.now = options.now ?? Date.now;
    this.bucketMs = options.windowMs / BUCKETS;
    this.minCalls = Math.max(1, Math.ceil((options.minCallsPerSecond * options.windowMs) / 1000));
  }

  /**
   * The state now. An open circuit whose wait is over reads as half open (no probe out yet), and
   * that change is made, and told, by the first to notice it: a read (a metrics scrape, /readyz)
   * or a call. Without traffic no call would notice, and a gauge read from an `open` kept until
   * the next call would page for a quiet tenant long after one blip.
   */
  get state(): BreakerState {
    this.noticeProbeTime();
    return this.current;
  }

  /**
   * Lets one call through, or throws UPSTREAM_UNAVAILABLE (byGateway) at once while the circuit
   * is open or its probe is out. Every ticket must be settled.
   */
  admit(): BreakerTicket {
    this.noticeProbeTime();
    const state = this.current;
    switch (state.kind) {
      case 'closed':
        return { settle: (error) => this.settleClosed(error) };
      case 'open':
        throw this.openError();
      case 'half-open':
        if (state.probing) throw this.openError();
        this.moveTo({ kind: 'half-open', probing: true });
        return this.probe();
    }
  }

  /** Open → half open (no probe out) once the wait is over; the next call becomes the probe. */
  private noticeProbeTime(): void {
    const state = this.current;
    if (state.kind === 'open' && this.now() >= state.probeAt) this.moveTo({ kind: 'half-open', probing: false });
  }

  private probe(): BreakerTicket {
    let settled = false;
    return {
      settle: (error) => {
        if (settled) return;
        settled = true;
        const outcome = outcomeOf(error);
        if (outcome === 'success') {
          this.buckets.length = 0;
          this.moveTo({ kind: 'closed' });
        } else if (outcome === 'failure') this.open();
        else this.moveTo({ kind: 'half-open', probing: false });
      },
    };
  }

  private settleClosed(error: unknown): void {
    const outcome = outcomeOf(error);
    if (outcome === 'neutral' || this.current.kind !== 'closed') return;
    const bucket = this.bucket();
    bucket.calls += 1;
    if (outcome === 'failure') bucket.failures += 1;
    let calls = 0;
    let failures = 0;
    for (const b of this.buckets) {
      calls += b.calls;
      failures += b.failures;
    }
    if (calls >= this.minCalls && failures / calls >= this.options.failureRate) this.open();
  }

  /** The current bucket, dropping those that have left the window. */
  private bucket(): { start: number; calls: number; failures: number } {
    const now = this.now();
    while (this.buckets.length > 0 && this.buckets[0]!.start <= now - this.options.windowMs) this.buckets.shift();
    const last = this.buckets.at(-1);
    if (last && now - last.start < this.bucketMs) return last;
    const fresh = { start: now, calls: 0, failures: 0 };
    this.buckets.push(fresh);
    return fresh;
  }

  private open(): void {
    const since = this.now();
    this.buckets.length = 0;
    this.moveTo({ kind: 'open', since, probeAt: since + this.options.halfOpenAfterMs });
  }

  private moveTo(next: BreakerState): void {
    const changed = next.kind !== this.current.kind;
    this.current = next;
    if (changed) this.options.onStateChange?.(next);
  }

  private openError(): UpstreamError {
    const { provider } = this.options;
    return new UpstreamError(ErrorCode.UpstreamUnavailable, provider, `${provider} is failing; calls are paused (circuit open)`, {
      detail: 'circuit open',
      byGateway: true,
    });
  }
}

function outcomeOf(error: unknown): 'success' | 'failure' | 'neutral' {
  if (error === undefined) return 'success';
  if (!isUpstreamError(error)) return 'neutral';
  if (error.byGateway) return 'neutral';
  // A 4xx is the provider answering (Stripe's 409 "still in progress", say): it is up.
  if (error.status !== undefined && error.status < 500) return 'success';
  return error.code === ErrorCode.UpstreamUnavailable || error.code === ErrorCode.UpstreamTimeout ? 'failure' : 'success';
}
