import { deflateRawSync, constants } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/model/connection.ts';
import { ReplayBuffers } from '../../src/server/replay-buffers.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

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

  it('keeps at most maxFree buffers given back, and ignores what it did not lend', () => {
    const buffers = new ReplayBuffers(1);
    const a = buffers.lend(100);
    const b = buffers.lend(100);
    expect(a.buffer).not.toBe(b.buffer);
    buffers.giveBack(a);
    buffers.giveBack(b); // past maxFree: dropped
    buffers.giveBack(Buffer.alloc(100)); // not lent: ignored
    expect(buffers.lend(100).buffer).toBe(a.buffer);
    expect(buffers.lend(100).buffer).not.toBe(b.buffer);
  });
});

describe('identity replays of compressed answers, many at once', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start();
  });
  afterAll(() => stack.close());

  it('each get the bytes of their own page while others are written', async () => {
    const ids = stack.dataset.customers.map((customer) => customer.id);
    const pages = [0, 7, 19, 33, 48, 61, 77, 90].map((start) => JSON.stringify({ query: CUSTOMER_360, variables: { first: 50, after: start === 0 ? null : encodeCursor('customer', ids[start - 1]!) } }));
    const post = async (body: string) => {
      const response = await request(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.headers['content-encoding']).toBeUndefined();
      return (await response.body.json()) as { data: unknown; extensions: { upstream: { stripe: { calls: number; cacheHits: number } } } };
    };
    const reference = await Promise.all(pages.map((body) => post(body)));
    for (const answer of reference) expect(JSON.stringify(answer.data).length).toBeGreaterThan(16 * 1024); // kept compressed
    // Rounds of every page at once, each page twice per round, in an order that changes per round.
    for (let round = 0; round < 5; round += 1) {
      const order = [...pages.keys(), ...pages.keys()].map((n, i) => (n * (round + 3) + i) % pages.length);
      const answers = await Promise.all(order.map((n) => post(pages[n]!)));
      answers.forEach((answer, i) => {
        expect(answer.extensions.upstream.stripe).toMatchObject({ calls: 0, cacheHits: 0 }); // replayed
        expect(answer.data).toEqual(reference[order[i]!]!.data);
      });
    }
  });
});
