import { describe, expect, it } from 'vitest';
import { DeliveryScheduler, type Delivery, type DeliveryStore, type FailureOutcome } from '../../src/events/delivery-scheduler.ts';
import { resolveEventLogOptions, retryDelayMs } from '../../src/events/event-log-options.ts';
import { storedEvent, until } from './event-log-contract.ts';

/** Timers the test fires by hand, so backoff delays are read, not waited for. */
function manualTimers() {
  const pending: Array<{ callback: () => void; ms: number }> = [];
  return {
    pending,
    setTimer: (callback: () => void, ms: number) => {
      const timer = { callback, ms };
      pending.push(timer);
      return timer;
    },
    clearTimer: (handle: unknown) => {
      const index = pending.indexOf(handle as (typeof pending)[number]);
      if (index >= 0) pending.splice(index, 1);
    },
    fireNext: () => pending.shift()?.callback(),
  };
}

/** A store that counts attempts like the real ones, and can be made to fail. */
function countingStore(maxAttempts: number) {
  const attempts = new Map<string, number>();
  const store = {
    down: false,
    succeededIds: [] as string[],
    async isProcessed(): Promise<boolean> {
      if (store.down) throw new Error('redis away');
      return false;
    },
    async succeeded(delivery: Delivery): Promise<void> {
      if (store.down) throw new Error('redis away');
      store.succeededIds.push(delivery.entryId);
    },
    async failed(delivery: Delivery): Promise<FailureOutcome> {
      const count = (attempts.get(delivery.entryId) ?? 0) + 1;
      attempts.set(delivery.entryId, count);
      return count >= maxAttempts ? { kind: 'dead', attempts: count } : { kind: 'retry', attempts: count };
    },
  } satisfies DeliveryStore & Record<string, unknown>;
  return store;
}

const base = { concurrency: 4, retryBaseMs: 100, retryMaxMs: 1000, random: () => 1, onError: () => undefined };

describe('event scheduler', () => {
  it('waits a full-jitter exponential backoff between attempts, capped at retryMaxMs', async () => {
    const timers = manualTimers();
    const store = countingStore(6);
    let calls = 0;
    const scheduler = new DeliveryScheduler(
      store,
      async () => {
        calls += 1;
        throw new Error('no');
      },
      { ...base, ...timers },
    );
    scheduler.submit({ entryId: '1-0', event: storedEvent() });
    const delays: number[] = [];
    for (let attempt = 1; attempt < 6; attempt += 1) {
      await until(() => timers.pending.length === 1);
      delays.push(timers.pending[0]!.ms);
      timers.fireNext();
    }
    await until(() => calls === 6 && !scheduler.holds('1-0'));
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
    expect(timers.pending).toEqual([]);
  });

  it('ignores a second submit of an entry it holds, so one entry never runs twice at once', async () => {
    let running = 0;
    let most = 0;
    const store = countingStore(1);
    const scheduler = new DeliveryScheduler(
      store,
      async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      },
      { ...base, ...manualTimers() },
    );
    const delivery = { entryId: '1-0', event: storedEvent() };
    for (let i = 0; i < 5; i += 1) scheduler.submit(delivery);
    await until(() => store.succeededIds.length === 1 && !scheduler.holds('1-0'));
    expect(most).toBe(1);
  });

  it('records a handled event once the store is back, without handling it again', async () => {
    const timers = manualTimers();
    const store = countingStore(3);
    let calls = 0;
    const scheduler = new DeliveryScheduler(
      store,
      async () => {
        calls += 1;
        store.down = true;
      },
      { ...base, ...timers },
    );
    scheduler.submit({ entryId: '1-0', event: storedEvent() });
    await until(() => timers.pending.length === 1);
    store.down = false;
    timers.fireNext();
    await until(() => store.succeededIds.length === 1);
    expect(calls).toBe(1);
  });

  it('forgets a waiting retry when another consumer took the entry over', async () => {
    const timers = manualTimers();
    const scheduler = new DeliveryScheduler(countingStore(5), async () => Promise.reject(new Error('no')), { ...base, ...timers });
    scheduler.submit({ entryId: '1-0', event: storedEvent() });
    await until(() => timers.pending.length === 1);
    scheduler.release('1-0');
    expect(scheduler.holds('1-0')).toBe(false);
    expect(timers.pending).toEqual([]);
  });
});

describe('event log options', () => {
  it('fills in the documented defaults', () => {
    const options = resolveEventLogOptions({ keyPrefix: 'tributary:events' });
    expect(options).toMatchObject({ maxAttempts: 8, retryBaseMs: 1000, retryMaxMs: 60_000, claimIdleMs: 120_000, dedupeTtlMs: 4 * 86_400_000, concurrency: 16, batchSize: 32, blockMs: 1000 });
    expect(options.consumerName).toMatch(/^[\w.:-]+-\d+-[0-9a-f]{6}$/);
  });

  it('names the option that is wrong', () => {
    expect(() => resolveEventLogOptions({ keyPrefix: '{x}' })).toThrow(/keyPrefix/);
    expect(() => resolveEventLogOptions({ keyPrefix: 'p', maxAttempts: 0 })).toThrow('maxAttempts must be a positive integer: 0');
    expect(() => resolveEventLogOptions({ keyPrefix: 'p', retryBaseMs: 10, retryMaxMs: 5 })).toThrow(/retryMaxMs/);
    expect(() => resolveEventLogOptions({ keyPrefix: 'p', claimIdleMs: 2 })).toThrow(/claimIdleMs/);
    expect(() => resolveEventLogOptions({ keyPrefix: 'p', consumerName: 'a b' })).toThrow(/consumerName/);
  });

  it('draws each delay between 0 and the capped exponential ceiling', () => {
    const options = { retryBaseMs: 10, retryMaxMs: 50, random: () => 0.5 };
    expect([1, 2, 3, 4, 5].map((failures) => retryDelayMs(options, failures))).toEqual([5, 10, 20, 25, 25]);
    expect(retryDelayMs({ ...options, random: () => 0 }, 3)).toBe(0);
  });
});
