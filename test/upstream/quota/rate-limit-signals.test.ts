import { describe, expect, it } from 'vitest';
import { pauseFromResponse } from '../../../src/upstream/quota/rate-limit-signals.ts';

describe('pauses learnt from provider answers', () => {
  it('honours Retry-After on 429 and 503 above everything else', () => {
    expect(pauseFromResponse('customers', 429, { 'retry-after': '7', ratelimit: '"default";r=0;t=2' })).toBe(7000);
    expect(pauseFromResponse('hubspot', 503, { 'retry-after': '3' })).toBe(3000);
  });

  it('reads HubSpot\'s rolling-window and daily headers', () => {
    const spent = { 'x-hubspot-ratelimit-remaining': '0', 'x-hubspot-ratelimit-max': '100', 'x-hubspot-ratelimit-interval-milliseconds': '10000' };
    expect(pauseFromResponse('hubspot', 200, spent)).toBe(100);
    expect(pauseFromResponse('hubspot', 200, { ...spent, 'x-hubspot-ratelimit-remaining': '12' })).toBeUndefined();
    expect(pauseFromResponse('hubspot', 200, { 'x-hubspot-ratelimit-daily-remaining': '0' })).toBe(60_000);
  });

  it('pauses Stripe only for rate limits, not for a lock conflict on one object', () => {
    expect(pauseFromResponse('stripe', 429, { 'stripe-rate-limited-reason': 'global-rate' })).toBe(1000);
    expect(pauseFromResponse('stripe', 429, { 'stripe-rate-limited-reason': 'endpoint-concurrency' })).toBe(250);
    expect(pauseFromResponse('stripe', 429, {})).toBeUndefined();
  });

  it('reads the IETF RateLimit field of the customer service', () => {
    expect(pauseFromResponse('customers', 200, { ratelimit: '"default";r=0;t=2' })).toBe(2000);
    expect(pauseFromResponse('customers', 200, { ratelimit: '"default";r=40;t=1' })).toBeUndefined();
  });
});
