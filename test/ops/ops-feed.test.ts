import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OpsFeed, type FeedSubscriber } from '../../src/ops/ops-feed.ts';
import { opsSnapshot, type OpsSnapshot } from '../../src/ops/ops-snapshot.ts';
import { Registry } from 'prom-client';

/** A feed over an empty registry that records which tenants it was asked for. */
async function feedWith(intervalMs = 1000) {
  const asked: Array<string | undefined> = [];
  const base = await opsSnapshot(new Registry(), { now: () => 0 });
  const errors: unknown[] = [];
  const feed = new OpsFeed({
    intervalMs,
    snapshot: async (tenant) => {
      asked.push(tenant);
      return { ...base, at: Date.now() };
    },
    onError: (error) => errors.push(error),
  });
  return { feed, asked, errors };
}

function subscriber(tenant: string | undefined) {
  const got: OpsSnapshot[] = [];
  const ended = { value: false };
  const sub: FeedSubscriber = { tenant, send: (s) => got.push(s), end: () => void (ended.value = true) };
  return { sub, got, ended };
}

describe('the ops feed', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('sends a new subscriber a snapshot at once, then one per interval, one read per tenant for all its subscribers', async () => {
    const { feed, asked } = await feedWith(1000);
    const a = subscriber('acme');
    const b = subscriber('acme');
    const c = subscriber(undefined);
    feed.subscribe(a.sub);
    feed.subscribe(b.sub);
    feed.subscribe(c.sub);
    await vi.advanceTimersByTimeAsync(0);
    expect([a.got.length, b.got.length, c.got.length]).toEqual([1, 1, 1]);
    asked.length = 0;
    await vi.advanceTimersByTimeAsync(3000);
    expect([a.got.length, b.got.length, c.got.length]).toEqual([4, 4, 4]);
    expect(asked.filter((t) => t === 'acme')).toHaveLength(3);
    expect(asked.filter((t) => t === undefined)).toHaveLength(3);
    feed.close();
  });

  it('runs no timer while nobody listens, and none after close, which ends every subscriber', async () => {
    const { feed, asked } = await feedWith(1000);
    expect(vi.getTimerCount()).toBe(0);
    const a = subscriber(undefined);
    const stop = feed.subscribe(a.sub);
    expect(vi.getTimerCount()).toBe(1);
    stop();
    stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(asked).toHaveLength(1); // the one at subscription
    const b = subscriber(undefined);
    feed.subscribe(b.sub);
    feed.close();
    expect(b.ended.value).toBe(true);
    expect(a.ended.value).toBe(false); // it had left before
    expect(vi.getTimerCount()).toBe(0);
    const late = subscriber(undefined);
    feed.subscribe(late.sub);
    expect(late.ended.value).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('skips a tick while the previous snapshot is still being read, and goes on after a failed one', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    const base = await opsSnapshot(new Registry(), { now: () => 0 });
    const errors: unknown[] = [];
    const feed = new OpsFeed({
      intervalMs: 100,
      snapshot: async () => {
        calls += 1;
        if (calls === 2) await new Promise<void>((resolve) => (release = resolve));
        if (calls === 3) throw new Error('redis away');
        return base;
      },
      onError: (error) => errors.push(error),
    });
    const a = subscriber(undefined);
    feed.subscribe(a.sub);
    await vi.advanceTimersByTimeAsync(550); // tick 1 hangs; ticks 2–5 are skipped
    expect(calls).toBe(2);
    release();
    await vi.advanceTimersByTimeAsync(100); // fails
    await vi.advanceTimersByTimeAsync(100); // answers
    expect(calls).toBe(4);
    expect(errors).toHaveLength(1);
    expect(a.got).toHaveLength(3);
    feed.close();
  });

  it('refuses an interval that is not a positive whole number of milliseconds', () => {
    expect(() => new OpsFeed({ intervalMs: 0, snapshot: async () => ({}) as OpsSnapshot, onError: () => undefined })).toThrow('intervalMs must be a positive integer: 0');
  });
});
