import { describe, expect, it } from 'vitest';
import { createMemoryIdempotencyStore } from '../../src/writes/memory-idempotency-store.ts';
import { drivenClock } from './clock.ts';
import { idempotencyStoreContract, response } from './idempotency-store-contract.ts';

idempotencyStoreContract('memory store', async () => {
  const clock = drivenClock();
  const store = createMemoryIdempotencyStore({ now: clock.now });
  return { instance: () => store, shortMs: 1000, until: clock.until, cleanup: async () => undefined };
});

describe('memory idempotency store', () => {
  it('holds a claim for exactly its lease on its clock', async () => {
    const clock = drivenClock();
    const store = createMemoryIdempotencyStore({ now: clock.now });
    await store.claim('k', 'fp', 1000);
    clock.advance(999);
    expect(await store.claim('k', 'fp', 1000)).toEqual({ outcome: 'in-progress' });
    clock.advance(1);
    expect((await store.claim('k', 'fp', 1000)).outcome).toBe('claimed');
  });

  it('refuses the complete of a lapsed claim even when nobody took the key, and stores nothing', async () => {
    const clock = drivenClock();
    const store = createMemoryIdempotencyStore({ now: clock.now });
    const claim = await store.claim('k', 'fp', 1000);
    if (claim.outcome !== 'claimed') throw new Error('not claimed');
    clock.advance(1000);
    expect(await store.complete('k', claim.token, response, 60_000)).toBe(false);
    expect((await store.claim('k', 'fp', 1000)).outcome).toBe('claimed');
  });

  it('when full, drops expired keys first and keeps the live ones', async () => {
    const clock = drivenClock();
    const store = createMemoryIdempotencyStore({ now: clock.now, maxEntries: 3 });
    await store.claim('old-live', 'fp', 60_000);
    await store.claim('short-1', 'fp', 1000);
    await store.claim('short-2', 'fp', 1000);
    clock.advance(1000);
    await store.claim('new', 'fp', 60_000);
    expect(await store.claim('old-live', 'fp', 60_000)).toEqual({ outcome: 'in-progress' });
    expect(await store.claim('new', 'fp', 60_000)).toEqual({ outcome: 'in-progress' });
  });

  it('when full of live keys, drops the least recently written one', async () => {
    const clock = drivenClock();
    const store = createMemoryIdempotencyStore({ now: clock.now, maxEntries: 3 });
    const first = await store.claim('first', 'fp', 60_000);
    await store.claim('second', 'fp', 60_000);
    await store.claim('third', 'fp', 60_000);
    // Completing `first` writes it again: `second` is now the oldest write.
    if (first.outcome !== 'claimed') throw new Error('not claimed');
    await store.complete('first', first.token, response, 60_000);
    await store.claim('fourth', 'fp', 60_000);
    expect((await store.claim('second', 'fp', 60_000)).outcome).toBe('claimed');
    expect((await store.claim('first', 'fp', 60_000)).outcome).toBe('replay');
  });

  it('refuses a maxEntries that is not a positive integer', () => {
    expect(() => createMemoryIdempotencyStore({ maxEntries: 0 })).toThrow('maxEntries must be a positive integer: 0');
  });
});
