import { describe, expect, it } from 'vitest';
import { QuotaGuard } from '../../../src/upstream/quota/quota-guard.ts';
import { FakeClock, settle } from './fake-clock.ts';

/** Records, on the fake clock, when each caller went or was refused; one that went is answered at once. */
function tracked(guard: QuotaGuard, clock: FakeClock) {
  const events: string[] = [];
  const went: Record<string, number> = {};
  const ask = (name: string, maxWaitMs?: number, fairnessKey?: string) =>
    guard.acquire(maxWaitMs, fairnessKey).then(
      () => {
        went[name] = clock.now();
        events.push(`${name} went`);
        guard.settle();
      },
      (error: { code?: string; retryAfter?: number }) => {
        events.push(`${name} refused ${error.code} retryAfter=${error.retryAfter}`);
      },
    );
  return { ask, events, went };
}

describe('QuotaGuard on a driven clock', () => {
  it('after a burst, accepts the callers that fit at the window\'s rollover instead of refusing them', async () => {
    const clock = new FakeClock();
    // windowMs 1000 is guarded as 1100: the burst's slots free at t = 1100.
    const guard = new QuotaGuard({ provider: 'stripe', limit: 5, windowMs: 1000, maxWaitMs: 200, clock });
    const { ask, events, went } = tracked(guard, clock);
    const burst = ['b0', 'b1', 'b2', 'b3', 'b4'].map((name) => ask(name));
    await Promise.all(burst);
    await clock.advance(1000);
    const followers = ['f0', 'f1', 'f2', 'f3', 'f4'].map((name) => ask(name));
    await clock.advance(99);
    expect(events.filter((e) => e.startsWith('f'))).toEqual([]); // nobody early
    await clock.advance(1);
    await Promise.all(followers);
    expect(events.filter((e) => e.startsWith('f'))).toEqual(['f0 went', 'f1 went', 'f2 went', 'f3 went', 'f4 went']);
    expect(['f0', 'f1', 'f2', 'f3', 'f4'].map((name) => went[name])).toEqual([1100, 1100, 1100, 1100, 1100]);
  });

  it('serves waiters in the order they asked, whatever their own maxWait', async () => {
    const clock = new FakeClock();
    const guard = new QuotaGuard({ provider: 'hubspot', limit: 2, windowMs: 1000, maxWaitMs: 10_000, clock });
    const { ask, events } = tracked(guard, clock);
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name, i) => ask(name, 5000 + (i % 3) * 1000));
    await clock.advance(10_000);
    await Promise.all(all);
    expect(events).toEqual(['a went', 'b went', 'c went', 'd went', 'e went', 'f went', 'g went']);
  });

  it('gives each waiter its exact slot from the log and refuses, at once, only one whose slot is past its maxWait', async () => {
    const clock = new FakeClock();
    const guard = new QuotaGuard({ provider: 'stripe', limit: 2, windowMs: 1000, maxWaitMs: 1500, clock });
    const { ask, events, went } = tracked(guard, clock);
    await Promise.all([ask('s0'), ask('s1')]); // t = 0
    await clock.advance(500);
    const waiting = [ask('a'), ask('b'), ask('c'), ask('d', 1700)];
    await settle();
    // a and b go at 1100 (600 ms away); c would go at 2200 (1700 ms away): refused now.
    expect(events.slice(2)).toEqual(['c refused UPSTREAM_RATE_LIMITED retryAfter=2']);
    await clock.advance(3000);
    await Promise.all(waiting);
    expect(events.slice(3)).toEqual(['a went', 'b went', 'd went']);
    expect([went['a'], went['b'], went['d']]).toEqual([1100, 1100, 2200]);
  });

  it('never lets more than `limit` requests go within one guarded window', async () => {
    const clock = new FakeClock();
    const guard = new QuotaGuard({ provider: 'stripe', limit: 5, windowMs: 200, maxWaitMs: 10_000, clock });
    const starts: number[] = [];
    const all = Array.from({ length: 23 }, () =>
      guard.acquire().then(() => {
        starts.push(clock.now());
        guard.settle();
      }),
    );
    await clock.advance(10_000);
    await Promise.all(all);
    expect(starts).toHaveLength(23);
    for (let i = 5; i < starts.length; i += 1) expect(starts[i]! - starts[i - 5]!).toBeGreaterThanOrEqual(250);
  });

  it('counts a request as sent until its answer comes, so one delivered late cannot share a provider window with `limit` sent a window later', async () => {
    // The fairness bench's 429s: the quota let a request go, a saturated event loop and undici's
    // queue held it for up to 0.7 s before it reached Stripe, and the request `limit` later went
    // one guarded window after the *decision*, landing in Stripe's second beside it.
    const clock = new FakeClock();
    const guard = new QuotaGuard({ provider: 'stripe', limit: 2, windowMs: 1000, maxWaitMs: 10_000, clock });
    const went: Record<string, number> = {};
    const go = (name: string) => guard.acquire().then(() => void (went[name] = clock.now()));
    await Promise.all([go('a'), go('b')]); // t = 0, neither answered yet
    const c = go('c');
    await clock.advance(1500);
    expect(went['c']).toBeUndefined(); // a and b may reach the provider any moment: still "now"
    guard.settle(); // one of them answered at 1500: the provider counted it by then
    await clock.advance(1099);
    expect(went['c']).toBeUndefined();
    await clock.advance(1);
    await c;
    expect(went['c']).toBe(2600); // one guarded window after the answer, not after the decision
  });

  it('ignores a settle with nothing in flight', async () => {
    const clock = new FakeClock();
    const guard = new QuotaGuard({ provider: 'stripe', limit: 1, windowMs: 1000, maxWaitMs: 0, clock });
    guard.settle();
    await guard.acquire();
    guard.settle();
    guard.settle(); // an extra one must not free a slot
    await expect(guard.acquire()).rejects.toMatchObject({ code: 'UPSTREAM_RATE_LIMITED' });
  });

  it('fails at once with UPSTREAM_RATE_LIMITED and retryAfter when the wait would pass maxWait', async () => {
    const clock = new FakeClock();
    const guard = new QuotaGuard({ provider: 'hubspot', limit: 1, windowMs: 10_000, maxWaitMs: 100, clock });
    await guard.acquire();
    await expect(guard.acquire()).rejects.toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', provider: 'hubspot', retryAfter: 11, byGateway: true });
  });

  it('holds everyone back while the provider asked for a pause, and refuses at once those it pushes past their maxWait', async () => {
    const clock = new FakeClock();
    const guard = new QuotaGuard({ provider: 'customers', limit: 1, windowMs: 1000, maxWaitMs: 1000, clock });
    const { ask, events, went } = tracked(guard, clock);
    await ask('first');
    await clock.advance(200);
    const waiting = [ask('patient', 5000), ask('hasty', 2500)]; // slots at 1100 and 2200
    guard.pause(1500); // nobody before 1700; then hasty's slot is 2800, past its 2700 deadline
    await settle();
    expect(events).toEqual(['first went', 'hasty refused UPSTREAM_RATE_LIMITED retryAfter=3']);
    await clock.advance(5000);
    await Promise.all(waiting);
    expect(went['patient']).toBe(1700);
  });

  it('gives a quiet client\'s newcomer the second slot, not the 50th, while a flood (calls without a key) waits', async () => {
    const clock = new FakeClock();
    const guard = new QuotaGuard({ provider: 'stripe', limit: 1, windowMs: 1000, maxWaitMs: 100_000, clock });
    const { ask, events, went } = tracked(guard, clock);
    const flood = Array.from({ length: 50 }, (_, i) => ask(`f${i}`));
    await clock.advance(500);
    const quiet = ask('quiet', undefined, 't/quiet');
    await clock.advance(100_000);
    await Promise.all([...flood, quiet]);
    // f0 went at once, f1 had the next slot (1100) in the same round; quiet takes the one after.
    expect(events.slice(0, 4)).toEqual(['f0 went', 'f1 went', 'quiet went', 'f2 went']);
    expect([went['f1'], went['quiet'], went['f2'], went['f49']]).toEqual([1100, 2200, 3300, 50 * 1100]);
  });

  it('refuses at once a flood\'s waiter that a quiet newcomer pushes past its maxWait, and no one else', async () => {
    const clock = new FakeClock();
    const guard = new QuotaGuard({ provider: 'stripe', limit: 1, windowMs: 1000, maxWaitMs: 100_000, clock });
    const { ask, events, went } = tracked(guard, clock);
    // f1's slot is 1100, f2's 2200, f3's 3300: each accepted with no time to spare for f2.
    const flood = [ask('f0', 0, 't/flood'), ask('f1', 1100, 't/flood'), ask('f2', 2200, 't/flood'), ask('f3', 5000, 't/flood')];
    await settle();
    const quiet = ask('quiet', 2200, 't/quiet');
    await settle();
    // quiet takes 2200; f2 would now go at 3300, past its deadline, and learns it now.
    expect(events).toEqual(['f0 went', 'f2 refused UPSTREAM_RATE_LIMITED retryAfter=4']);
    await clock.advance(10_000);
    await Promise.all([...flood, quiet]);
    expect([went['f1'], went['quiet'], went['f3']]).toEqual([1100, 2200, 3300]);
  });

  it('refuses a nonsensical configuration, naming the option', () => {
    expect(() => new QuotaGuard({ provider: 'stripe', limit: 0, windowMs: 1000, maxWaitMs: 0 })).toThrow('limit must be a positive integer: 0');
    expect(() => new QuotaGuard({ provider: 'stripe', limit: 1, windowMs: 0, maxWaitMs: 0 })).toThrow('windowMs must be a positive number: 0');
    expect(() => new QuotaGuard({ provider: 'stripe', limit: 1, windowMs: 1, maxWaitMs: -1 })).toThrow(TypeError);
  });
});
