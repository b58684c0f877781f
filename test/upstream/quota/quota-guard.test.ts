import { describe, expect, it } from 'vitest';
import { QuotaGuard } from '../../../src/upstream/quota/quota-guard.ts';

describe('QuotaGuard', () => {
  it('never lets more than `limit` requests start within one window', async () => {
    const guard = new QuotaGuard({ provider: 'stripe', limit: 5, windowMs: 200, maxWaitMs: 2000 });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 12 }, () => guard.acquire().then(() => starts.push(performance.now()))));
    starts.sort((a, b) => a - b);
    for (let i = 5; i < starts.length; i += 1) expect(starts[i]! - starts[i - 5]!).toBeGreaterThanOrEqual(200);
  });

  it('fails at once with UPSTREAM_RATE_LIMITED and retryAfter when the wait would pass the deadline', async () => {
    const guard = new QuotaGuard({ provider: 'hubspot', limit: 1, windowMs: 10_000, maxWaitMs: 100 });
    await guard.acquire();
    await expect(guard.acquire()).rejects.toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', provider: 'hubspot', retryAfter: 11 });
  });

  it('holds everyone back while the provider asked for a pause', async () => {
    const guard = new QuotaGuard({ provider: 'customers', limit: 100, windowMs: 1000, maxWaitMs: 1000 });
    guard.pause(150);
    const waited = await guard.acquire();
    expect(waited).toBeGreaterThanOrEqual(140);
  });

  it('refuses a nonsensical configuration, naming the option', () => {
    expect(() => new QuotaGuard({ provider: 'stripe', limit: 0, windowMs: 1000, maxWaitMs: 0 })).toThrow('limit must be a positive number: 0');
  });
});
