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
 * HubSpot's budgets, announced on every authenticated response with the `X-HubSpot-RateLimit-*`
 * headers. The daily budget is checked first and only spent by requests the burst limit let
 * through, so a 429 never costs daily quota. OAuth apps have no daily limit, and their calls carry
 * no `-Daily` or `-Daily-Remaining` header ("OAuth authenticated calls will not include
 * X-HubSpot-RateLimit-Daily or X-HubSpot-RateLimit-Daily-Remaining because there is no daily limit
 * for these calls", https://developers.hubspot.com/changelog/rate-limit-headers-will-now-appear-for-oauth-authenticated-calls).
 */
export class HubSpotRateLimiter {
  readonly #burst = new RollingWindowLimiter();
  readonly #daily = new FixedWindowLimiter();
  readonly #limits: HubSpotLimits;

  constructor(limits: HubSpotLimits) {
    this.#limits = limits;
  }

  /** `dailyLimited`: a private app token (true) or an OAuth access token (false). */
  admit(req: SimRequest, key: string, now: number, dailyLimited: boolean, override?: { limit: number; windowMs: number }): Admission {
    const { limit, windowMs } = override ?? this.#limits.burst;
    const dailyLimit = this.#limits.daily;
    const daily = dailyLimited ? this.#daily.peek(key, now, dailyLimit, DAY_MS) : undefined;
    const burst = daily?.allowed !== false ? this.#burst.take(key, now, limit, windowMs) : undefined;
    const spent = burst?.allowed && daily ? this.#daily.take(key, now, dailyLimit, DAY_MS) : daily;
    const headers: Record<string, string> = {
      'x-hubspot-ratelimit-max': String(limit),
      'x-hubspot-ratelimit-remaining': String(burst?.remaining ?? 0),
      'x-hubspot-ratelimit-interval-milliseconds': String(windowMs),
    };
    if (spent) {
      headers['x-hubspot-ratelimit-daily'] = String(dailyLimit);
      headers['x-hubspot-ratelimit-daily-remaining'] = String(spent.remaining);
    }
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
