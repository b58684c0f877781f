import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallContext } from '../../src/upstream/call-context.ts';
import { UpstreamReport } from '../../src/upstream/upstream-report.ts';

describe('CallContext.within', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers what the promise answers, value or error', async () => {
    const call = new CallContext(new UpstreamReport(), 60_000);
    await expect(call.within(Promise.resolve(42), 'stripe')).resolves.toBe(42);
    await expect(call.within(Promise.reject(new Error('provider said no')), 'stripe')).rejects.toThrow('provider said no');
  });

  it('fails every wait still pending at the deadline with UPSTREAM_TIMEOUT, and one after it at once', async () => {
    vi.useFakeTimers();
    const call = new CallContext(new UpstreamReport(), 1_000);
    const never = new Promise<never>(() => undefined);
    const waits = Array.from({ length: 20 }, () => call.within(never, 'hubspot'));
    const settled = call.within(Promise.resolve('early'), 'hubspot');
    await vi.advanceTimersByTimeAsync(1_001);
    for (const wait of waits) await expect(wait).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', provider: 'hubspot' });
    await expect(settled).resolves.toBe('early');
    await expect(call.within(Promise.resolve('late'), 'hubspot')).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });
});
