import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Claim, IdempotencyStore, StoredResponse } from '../../src/writes/idempotency-store.ts';

/**
 * Stores over one backing (one Redis prefix, or one process). `instance(i)` is gateway instance
 * i's store: the same object in memory, a connection of its own per instance in Redis.
 */
export interface IdempotencyStoreHarness {
  instance(index: number): IdempotencyStore;
  /** A lease (or ttl) that can run out within a test. */
  shortMs: number;
  /**
   * Lets time pass until `holds` answers true: the memory store's injected clock jumps ahead,
   * Redis's own clock runs while the harness polls. Never a fixed wait.
   */
  until(holds: () => Promise<boolean>): Promise<void>;
  cleanup(): Promise<void>;
}

/** Long enough that no test outlives it by accident: an hour. */
const LONG_MS = 3_600_000;

export const response: StoredResponse = {
  status: 200,
  headers: { 'content-type': 'application/graphql-response+json; charset=utf-8' },
  // Quotes, slashes, escapes and characters outside ASCII: what is replayed is what was sent.
  body: '{"data":{"refundPayment":{"id":"re_1","note":"a/b \\"c\\" \u00e9 \u2028 \ud83d\ude00"}}}',
};

/** Each test its own key, so that tests share nothing. */
const freshKey = () => `tenant:acme:client:dash:${randomUUID()}`;

function tokenOf(claim: Claim): string {
  if (claim.outcome !== 'claimed') throw new Error(`expected a claim, got ${claim.outcome}`);
  return claim.token;
}

/** What every IdempotencyStore does, whatever keeps it (undici's cacheStoreTests, for idempotency keys). */
export function idempotencyStoreContract(name: string, setup: () => Promise<IdempotencyStoreHarness>, skip = false): void {
  describe.skipIf(skip)(`${name}: the IdempotencyStore contract`, () => {
    let harness: IdempotencyStoreHarness;
    let store: IdempotencyStore;
    beforeAll(async () => {
      harness = await setup();
      store = harness.instance(0);
    });
    afterAll(() => harness?.cleanup());

    it('gives a fresh key to its first request, and answers in-progress to the same payload while it runs', async () => {
      const key = freshKey();
      const first = await store.claim(key, 'fp-a', LONG_MS);
      expect(first).toEqual({ outcome: 'claimed', token: expect.any(String) });
      expect(await store.claim(key, 'fp-a', LONG_MS)).toEqual({ outcome: 'in-progress' });
    });

    it('answers mismatch to another payload under a held key, running or finished', async () => {
      const key = freshKey();
      const token = tokenOf(await store.claim(key, 'fp-a', LONG_MS));
      expect(await store.claim(key, 'fp-b', LONG_MS)).toEqual({ outcome: 'mismatch' });
      expect(await store.complete(key, token, response, LONG_MS)).toBe(true);
      expect(await store.claim(key, 'fp-b', LONG_MS)).toEqual({ outcome: 'mismatch' });
    });

    it('replays a completed request exactly: status, headers and body', async () => {
      const key = freshKey();
      const token = tokenOf(await store.claim(key, 'fp-a', LONG_MS));
      expect(await store.complete(key, token, { ...response, headers: { ...response.headers } }, LONG_MS)).toBe(true);
      const replay = await store.claim(key, 'fp-a', LONG_MS);
      expect(replay).toStrictEqual({ outcome: 'replay', response });
    });

    it('replays an empty body and no headers as they were', async () => {
      const key = freshKey();
      const token = tokenOf(await store.claim(key, 'fp-a', LONG_MS));
      const bare: StoredResponse = { status: 204, headers: {}, body: '' };
      await store.complete(key, token, bare, LONG_MS);
      expect(await store.claim(key, 'fp-a', LONG_MS)).toStrictEqual({ outcome: 'replay', response: bare });
    });

    it('makes a released key claimable again, by any payload, and the released token completes nothing', async () => {
      const key = freshKey();
      const released = tokenOf(await store.claim(key, 'fp-a', LONG_MS));
      await store.release(key, released);
      const again = tokenOf(await store.claim(key, 'fp-b', LONG_MS));
      expect(again).not.toBe(released);
      expect(await store.complete(key, released, response, LONG_MS)).toBe(false);
      expect(await store.claim(key, 'fp-b', LONG_MS)).toEqual({ outcome: 'in-progress' });
    });

    it('ignores a release or a complete with a token that does not hold the key', async () => {
      const key = freshKey();
      const token = tokenOf(await store.claim(key, 'fp-a', LONG_MS));
      await store.release(key, randomUUID());
      expect(await store.complete(key, randomUUID(), response, LONG_MS)).toBe(false);
      expect(await store.claim(key, 'fp-a', LONG_MS)).toEqual({ outcome: 'in-progress' });
      expect(await store.complete(key, token, response, LONG_MS)).toBe(true);
    });

    it('completes nothing under a key that was never claimed', async () => {
      const key = freshKey();
      expect(await store.complete(key, randomUUID(), response, LONG_MS)).toBe(false);
      expect(tokenOf(await store.claim(key, 'fp-a', LONG_MS))).toEqual(expect.any(String));
    });

    it('keeps a completed response through a later release of the same claim', async () => {
      const key = freshKey();
      const token = tokenOf(await store.claim(key, 'fp-a', LONG_MS));
      await store.complete(key, token, response, LONG_MS);
      await store.release(key, token);
      expect(await store.claim(key, 'fp-a', LONG_MS)).toStrictEqual({ outcome: 'replay', response });
    });

    it('keeps the first response when a claim is completed twice (a retried complete)', async () => {
      const key = freshKey();
      const token = tokenOf(await store.claim(key, 'fp-a', LONG_MS));
      expect(await store.complete(key, token, response, LONG_MS)).toBe(true);
      expect(await store.complete(key, token, { status: 500, headers: {}, body: 'late' }, LONG_MS)).toBe(true);
      expect(await store.claim(key, 'fp-a', LONG_MS)).toStrictEqual({ outcome: 'replay', response });
    });

    it('makes a key claimable again once an abandoned claim\'s lease has lapsed', async () => {
      const key = freshKey();
      tokenOf(await store.claim(key, 'fp-a', harness.shortMs));
      let reclaim: Claim | undefined;
      await harness.until(async () => (reclaim = await store.claim(key, 'fp-a', LONG_MS)).outcome === 'claimed');
      expect(reclaim).toEqual({ outcome: 'claimed', token: expect.any(String) });
    });

    it('refuses the complete of a claim that lapsed and was taken by another request, and leaves that claim alone', async () => {
      const key = freshKey();
      const lapsed = tokenOf(await store.claim(key, 'fp-a', harness.shortMs));
      const other = harness.instance(1);
      let taken: Claim | undefined;
      await harness.until(async () => (taken = await other.claim(key, 'fp-b', LONG_MS)).outcome === 'claimed');
      const token = tokenOf(taken!);

      expect(await store.complete(key, lapsed, response, LONG_MS)).toBe(false);
      await store.release(key, lapsed);
      expect(await store.claim(key, 'fp-b', LONG_MS)).toEqual({ outcome: 'in-progress' });
      const theirs: StoredResponse = { status: 200, headers: {}, body: '{"data":{"theirs":true}}' };
      expect(await other.complete(key, token, theirs, LONG_MS)).toBe(true);
      expect(await store.claim(key, 'fp-b', LONG_MS)).toStrictEqual({ outcome: 'replay', response: theirs });
    });

    it('forgets a completed response once its ttl has passed', async () => {
      const key = freshKey();
      const token = tokenOf(await store.claim(key, 'fp-a', LONG_MS));
      expect(await store.complete(key, token, response, harness.shortMs)).toBe(true);
      await harness.until(async () => (await store.claim(key, 'fp-b', LONG_MS)).outcome === 'claimed');
    });

    it('gives one of 50 concurrent claims of a key, from two instances, the key; the others see it in progress', async () => {
      const key = freshKey();
      const claims = await Promise.all(Array.from({ length: 50 }, (_, i) => harness.instance(i % 2).claim(key, 'fp-a', LONG_MS)));
      expect(claims.filter((claim) => claim.outcome === 'claimed')).toHaveLength(1);
      expect(claims.filter((claim) => claim.outcome === 'in-progress')).toHaveLength(49);
    });

    it('keeps keys apart: a key held says nothing about another', async () => {
      const [one, two] = [freshKey(), freshKey()];
      const token = tokenOf(await store.claim(one, 'fp-a', LONG_MS));
      await store.complete(one, token, response, LONG_MS);
      expect((await store.claim(two, 'fp-a', LONG_MS)).outcome).toBe('claimed');
    });

    it('refuses a lease or ttl that is not a positive number of milliseconds', async () => {
      const key = freshKey();
      await expect(store.claim(key, 'fp-a', 0)).rejects.toThrow(TypeError);
      await expect(store.claim(key, 'fp-a', Number.NaN)).rejects.toThrow('leaseMs must be a positive number of milliseconds: NaN');
      const token = tokenOf(await store.claim(key, 'fp-a', LONG_MS));
      await expect(store.complete(key, token, response, -1)).rejects.toThrow('ttlMs must be a positive number of milliseconds: -1');
    });
  });
}
