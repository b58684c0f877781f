import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, SamplingBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
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
}

export type BreakerState =
  | { kind: 'closed' }
  | { kind: 'open'; since: number; probeAt: number }
  | { kind: 'half-open' };

/**
 * One circuit per provider: cockatiel's sampling breaker (failure rate over a window), which also
 * lets a single probe through when half open and closes on its success. What counts as failure:
 * the provider being unreachable, failing (5xx) or slow; a 4xx, a 429 or a bad body is an answer,
 * and says nothing about the provider's health.
 */
export class CircuitBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private current: BreakerState = { kind: 'closed' };

  constructor(private readonly options: CircuitBreakerOptions) {
    const isOutage = (error: Error) =>
      isUpstreamError(error) && !error.byGateway && (error.code === ErrorCode.UpstreamUnavailable || error.code === ErrorCode.UpstreamTimeout);
    this.policy = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker:
        options.minCallsPerSecond > 0
          ? new SamplingBreaker({ threshold: options.failureRate, duration: options.windowMs, minimumRps: options.minCallsPerSecond })
          : new ConsecutiveBreaker(5),
    });
    this.policy.onStateChange((state) => {
      switch (state) {
        case CircuitState.Closed:
          this.current = { kind: 'closed' };
          break;
        case CircuitState.Open:
        case CircuitState.Isolated: {
          const since = Date.now();
          this.current = { kind: 'open', since, probeAt: since + options.halfOpenAfterMs };
          break;
        }
        case CircuitState.HalfOpen:
          this.current = { kind: 'half-open' };
          break;
      }
    });
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Runs `fn` unless the circuit is open, in which case it fails at once with UPSTREAM_UNAVAILABLE. */
  async execute<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      return await this.policy.execute(fn, signal);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new UpstreamError(ErrorCode.UpstreamUnavailable, this.options.provider, `${this.options.provider} is failing; calls are paused (circuit open)`, {
          detail: 'circuit open',
          byGateway: true,
        });
      }
      throw error;
    }
  }
}
