import { FixedWindowLimiter } from '../shared/fixed-window-limiter.ts';
import type { Admission } from '../shared/provider-adapter.ts';
import { RollingWindowLimiter } from '../shared/rolling-window-limiter.ts';
import type { SimRequest } from '../shared/sim-request.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface HubSpotLimits {
  /** The burst limit: `limit` requests per rolling `windowMs` (Free/Starter: 100 per 10 s). */
  burst: { limit: number; windowMs: number };
  /** Per UTC day (Free/Starter: 250,000). */
  daily: number;
}

/**
 * Both HubSpot budgets, announced on every authenticated response with the
 * `X-HubSpot-RateLimit-*` headers. The daily budget is checked first and only spent by requests
 * the burst limit let through, so a 429 never costs daily quota.
 */
export class HubSpotRateLimiter {
  readonly #burst = new RollingWindowLimiter();
  readonly #daily = new FixedWindowLimiter();
  readonly #limits: HubSpotLimits;

  constructor(limits: HubSpotLimits) {
    this.#limits = limits;
  }

  admit(req: SimRequest, key: string, now: number, override?: { limit: number; windowMs: number }): Admission {
    const { limit, windowMs } = override ?? this.#limits.burst;
    const dailyLimit = this.#limits.daily;
    const daily = this.#daily.peek(key, now, dailyLimit, DAY_MS);
    const burst = daily.allowed ? this.#burst.take(key, now, limit, windowMs) : undefined;
    const spent = burst?.allowed ? this.#daily.take(key, now, dailyLimit, DAY_MS) : daily;
    const headers = {
      'x-hubspot-ratelimit-max': String(limit),
      'x-hubspot-ratelimit-remaining': String(burst?.remaining ?? 0),
      'x-hubspot-ratelimit-interval-milliseconds': String(windowMs),
      'x-hubspot-ratelimit-daily': String(dailyLimit),
      'x-hubspot-ratelimit-daily-remaining': String(spent.remaining),
    };
    if (burst?.allowed) return { headers };
    const policy = burst ? 'TEN_SECONDLY_ROLLING' : 'DAILY';
    const message = burst ? 'You have reached your ten second limit.' : 'You have reached your daily limit.';
    return {
      headers,
      rejection: {
        status: 429,
        body: { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: req.requestId, policyName: policy },
      },
    };
  }

  reset(): void {
    this.#burst.reset();
    this.#daily.reset();
  }
}
