import { deflateRawSync, constants } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeCursor } from '../../src/model/connection.ts';
import { ReplayBuffers } from '../../src/server/replay-buffers.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

const PAGE = 'query Page($first: Int!, $after: String) { customers(first: $first, after: $after) { edges { cursor node { id email name createdAt updatedAt version } } } }';

describe('ReplayBuffers', () => {
  it('inflates sync-flushed deflate blocks, then the closing, into the buffer it is given', () => {
    const data = Buffer.from(JSON.stringify({ data: Array.from({ length: 500 }, (_, n) => ({ id: `c${n}`, name: `Ünïcode ${n}` })) }));
    const deflated = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
    const buffers = new ReplayBuffers();
    const closing = Buffer.from(',"extensions":{}}\n');
    const target = buffers.lend(data.length + closing.length);
    buffers.inflateInto(target, deflated, data.length, closing);
    expect(target.equals(Buffer.concat([data, closing]))).toBe(true);
    expect(() => buffers.inflateInto(target, deflated, data.length - 1, closing)).toThrow();
  });

  it('keeps given-back buffers up to maxFreeBytes, lends the smallest that fits, and ignores what it did not lend', () => {
    const buffers = new ReplayBuffers(48 * 1024);
    const large = buffers.lend(40_000); // 48 KiB
    const small = buffers.lend(100); // 16 KiB
    expect(large.buffer).not.toBe(small.buffer);
    buffers.giveBack(small);
    buffers.giveBack(large); // 16 + 48 KiB: past maxFreeBytes, dropped
    buffers.giveBack(Buffer.alloc(100)); // not lent: ignored
    expect(buffers.lend(100).buffer).toBe(small.buffer);
    expect(buffers.lend(100).buffer).not.toBe(large.buffer);
  });

  it('takes back a loan only through the view it lent: a stale view of an earlier loan frees nothing', () => {
    const buffers = new ReplayBuffers();
    const first = buffers.lend(1_000);
    buffers.giveBack(first);
    const second = buffers.lend(1_000);
    expect(second.buffer).toBe(first.buffer);
    buffers.giveBack(first); // the earlier loan's view, again
    expect(buffers.lends(second)).toBe(true);
    expect(buffers.lend(1_000).buffer).not.toBe(second.buffer);
  });
});

describe('identity replays of compressed answers, many at once', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start();
  });
  afterAll(() => stack.close());

  it('each get the bytes of their own page while others are written, and every loan is given back', async () => {
    const ids = stack.dataset.customers.map((customer) => customer.id);
    // More pages than the cache remembers inflating (16), so that replays borrow.
    // The customer service alone (Stripe's test-mode budget would not fill 24 Customer 360 pages quickly).
    const pages = Array.from({ length: 24 }, (_, n) => n * 37).map((start) => JSON.stringify({ query: PAGE, variables: { first: 100, after: start === 0 ? null : encodeCursor('customer', ids[start - 1]!) } }));
    const post = async (body: string) => {
      const response = await request(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.headers['content-encoding']).toBeUndefined();
      return (await response.body.json()) as { data: unknown; extensions: { upstream: { customers: { calls: number; cacheHits: number } } } };
    };
    const reference = await Promise.all(pages.map((body) => post(body)));
    for (const answer of reference) expect(JSON.stringify(answer.data).length).toBeGreaterThan(16 * 1024); // kept compressed
    const lent = vi.spyOn(ReplayBuffers.prototype, 'lend');
    const givenBack = vi.spyOn(ReplayBuffers.prototype, 'giveBack');
    try {
      // Rounds of every page at once, in an order that changes per round (5 is prime to 24).
      for (let round = 0; round < 4; round += 1) {
        const order = pages.map((_, i) => (i * 5 + round * 7) % pages.length);
        const answers = await Promise.all(order.map((n) => post(pages[n]!)));
        answers.forEach((answer, i) => {
          expect(answer.extensions.upstream.customers).toMatchObject({ calls: 0, cacheHits: 0 }); // replayed
          expect(answer.data).toEqual(reference[order[i]!]!.data);
        });
      }
      // The first round borrows for every page; later ones for those not inflated lately (the others are kept whole).
      expect(lent.mock.calls.length).toBeGreaterThanOrEqual(pages.length);
      // Each given back when its response closed (just after the client had it whole).
      await eventually(async () => givenBack.mock.calls.length === lent.mock.calls.length);
      expect(new Set(givenBack.mock.calls.map(([bytes]) => bytes))).toEqual(new Set(lent.mock.results.map((result) => result.value as Buffer)));
    } finally {
      lent.mockRestore();
      givenBack.mockRestore();
    }
  });
});
