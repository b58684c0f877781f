import { describe, expect, it } from 'vitest';
import { ClientRateLimiter } from '../../../src/server/rate-limit/client-rate-limiter.ts';
import { MemoryRateLimitStore } from '../../../src/server/rate-limit/memory-rate-limit-store.ts';

/** A client with 3 requests per 60 s: one comes back every 20 s. */
function limited(clientRequests = 3) {
  let clock = 1_700_000_000_000;
  const limiter = new ClientRateLimiter({
    store: new MemoryRateLimitStore({ now: () => clock }),
    defaults: { clientRequests, clientCost: 0, tenantRequests: 0, tenantCost: 0 },
    windowMs: 60_000,
  });
  const ask = () => limiter.consume({ tenantId: 'acme', clientId: 'dash' }, { requests: 1, cost: 0 });
  return { ask, advance: (ms: number) => (clock += ms) };
}

describe('the in-process rate-limit store (GCRA on an injected clock)', () => {
  it('admits a refused client exactly when Retry-After says, and not a millisecond before', async () => {
    const { ask, advance } = limited();
    for (let i = 0; i < 3; i += 1) await ask();
    expect((await ask()).retryAfterSeconds).toBe(20);
    advance(19_999);
    expect(await ask()).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    advance(1);
    expect((await ask()).allowed).toBe(true);
    expect((await ask()).retryAfterSeconds).toBe(20);
  });

  it('gives a client hammering across window edges no more than its burst plus one unit per interval', async () => {
    const { ask, advance } = limited();
    const admittedAt: number[] = [];
    for (let t = 0; t <= 300_000; t += 100) {
      if ((await ask()).allowed) admittedAt.push(t);
      advance(100);
    }
    // The whole budget at once (one ask per 100 ms), then one every 60 s / 3, whatever the edges.
    expect(admittedAt).toEqual([0, 100, 200, ...Array.from({ length: 15 }, (_, i) => 20_000 * (i + 1))]);
  });

  it('refills a budget left alone for a whole window completely, and never beyond it', async () => {
    const { ask, advance } = limited();
    await ask();
    advance(10 * 60_000);
    for (let i = 0; i < 3; i += 1) expect((await ask()).allowed).toBe(true);
    expect((await ask()).allowed).toBe(false);
  });

  it('keeps exact whole units when the window does not divide by the limit', async () => {
    // 60 000 ms / 7 has no exact interval in ms; a float one would refuse the 7th request.
    const { ask } = limited(7);
    for (let i = 0; i < 7; i += 1) expect((await ask()).allowed).toBe(true);
    expect((await ask()).allowed).toBe(false);
  });

  it('forgets the least recently spent budget first when it holds too many, and budgets that are whole again before that', async () => {
    let clock = 0;
    const store = new MemoryRateLimitStore({ now: () => clock, maxKeys: 2 });
    const budget = (key: string) => [{ key, limit: 1, windowMs: 1000, amount: 1 }];
    await store.consume(budget('drained'));
    clock = 1000;
    await store.consume(budget('a'));
    await store.consume(budget('b')); // three kept: 'drained' goes, being whole again
    expect((await store.consume(budget('a'))).allowed).toBe(false);
    await store.consume(budget('c')); // three live: the least recently spent, 'a', goes (a refusal spends nothing)
    expect((await store.consume(budget('b'))).allowed).toBe(false);
    expect((await store.consume(budget('a'))).allowed).toBe(true);
  });

  it('checks its options', () => {
    const store = new MemoryRateLimitStore();
    const defaults = { clientRequests: 1, clientCost: 0, tenantRequests: 0, tenantCost: 0 };
    expect(() => new ClientRateLimiter({ store, defaults, windowMs: 1500 })).toThrow('windowMs must be a whole number of seconds, in ms: 1500');
    expect(() => new ClientRateLimiter({ store, defaults: { ...defaults, clientCost: -1 }, windowMs: 1000 })).toThrow('clientCost must be a non-negative integer');
    expect(() => new MemoryRateLimitStore({ maxKeys: 0 })).toThrow('maxKeys must be a positive integer: 0');
  });
});
