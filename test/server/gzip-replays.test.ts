import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

const PAGE = JSON.stringify({ query: CUSTOMER_360, variables: { first: 50 } });
const SMALL = JSON.stringify({ query: '{ __typename }' });

interface Sent {
  encoding: string | undefined;
  vary: string[];
  /** The bytes as they came over the wire. */
  wire: Buffer;
  /** The same, decoded with zlib by what Content-Encoding says. */
  decoded: Buffer;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Sent> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const wire = Buffer.from(await response.body.arrayBuffer());
  expect(response.statusCode).toBe(200);
  expect(Number(response.headers['content-length'])).toBe(wire.length);
  const encoding = response.headers['content-encoding'] as string | undefined;
  const decoded = encoding === 'gzip' ? gunzipSync(wire) : encoding === 'br' ? brotliDecompressSync(wire) : wire;
  const vary = String(response.headers['vary'] ?? '').toLowerCase().split(/\s*,\s*/);
  return { encoding, vary, wire, decoded };
}

/** The body as a browser's fetch hands it over: decoded by undici, not by the test. */
async function fetched(url: string, body: string, acceptEncoding: string): Promise<Buffer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': acceptEncoding }, body });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** Byte 9 of a gzip header, the OS: zlib (the plugin) writes 3 (Unix), the replay 255 (unknown). */
const gzipOs = (sent: Sent) => sent.wire[9];

describe('replays of kept answers, in gzip (COMPRESSION=on)', () => {
  let stack: GatewayStack;
  let executed: Buffer;
  beforeAll(async () => {
    // No upstream report: an answer replayed is then the very bytes of the answer run.
    stack = await GatewayStack.start({ UPSTREAM_REPORT: 'false' });
    executed = (await post(stack.url, PAGE)).wire;
  });
  afterAll(() => stack.close());

  it.each([
    ['gzip', 'gzip'],
    ['br, gzip', 'gzip'],
    ['gzip, deflate, br', 'gzip'],
    ['*', 'gzip'],
    ['gzip;q=0, br', 'br'],
    ['identity', undefined],
  ])('Accept-Encoding %j: sent in %s, and decoded the answer that ran, byte for byte', async (acceptEncoding, expected) => {
    const replay = await post(stack.url, PAGE, { 'accept-encoding': acceptEncoding });
    expect(replay.encoding).toBe(expected);
    expect(replay.decoded.equals(executed)).toBe(true);
    expect((await fetched(stack.url, PAGE, acceptEncoding)).equals(executed)).toBe(true);
    expect(replay.vary).toContain('accept-encoding');
    if (expected === 'gzip') {
      expect(gzipOs(replay)).toBe(0xff); // assembled from the kept prefix, not compressed again by the plugin
      expect(replay.wire.length * 4).toBeLessThan(executed.length);
    }
  });

  it('sends identity to a client that sends no Accept-Encoding, or x-no-compression', async () => {
    const none = await post(stack.url, PAGE);
    const refused = await post(stack.url, PAGE, { 'accept-encoding': 'gzip', 'x-no-compression': '1' });
    for (const replay of [none, refused]) {
      expect(replay.encoding).toBeUndefined();
      expect(replay.wire.equals(executed)).toBe(true);
    }
  });

  it('compresses an answer that runs as the plugin does, brotli first', async () => {
    const other = JSON.stringify({ query: CUSTOMER_360, variables: { first: 40 } });
    const ran = await post(stack.url, other, { 'accept-encoding': 'gzip, br' });
    expect(ran.encoding).toBe('br');
    const gzip = await post(stack.url, JSON.stringify({ query: CUSTOMER_360, variables: { first: 30 } }), { 'accept-encoding': 'gzip' });
    expect(gzip.encoding).toBe('gzip');
    expect(gzipOs(gzip)).toBe(0x03);
    // Its replay is the gateway's own gzip, and the same answer once decoded.
    const replay = await post(stack.url, other, { 'accept-encoding': 'gzip, br' });
    expect([replay.encoding, gzipOs(replay)]).toEqual(['gzip', 0xff]);
    expect(replay.decoded.equals(ran.decoded)).toBe(true);
  });

  it('replays an answer below COMPRESSION_THRESHOLD_BYTES as it is', async () => {
    const ran = await post(stack.url, SMALL, { 'accept-encoding': 'gzip' });
    const replay = await post(stack.url, SMALL, { 'accept-encoding': 'gzip' });
    for (const answer of [ran, replay]) {
      expect(answer.encoding).toBeUndefined();
      expect(JSON.parse(answer.wire.toString('utf8'))).toEqual({ data: { __typename: 'Query' } });
    }
  });
});

describe('replays in gzip with their own extensions', () => {
  it('ends the kept data with the replay\'s upstream report, in gzip as in identity', async () => {
    const stack = await GatewayStack.start({ UPSTREAM_REPORT: 'true' });
    try {
      const ran = await post(stack.url, PAGE, { 'accept-encoding': 'gzip' });
      const identity = await post(stack.url, PAGE);
      const gzip = await post(stack.url, PAGE, { 'accept-encoding': 'gzip' });
      expect([gzip.encoding, gzipOs(gzip)]).toEqual(['gzip', 0xff]);
      expect(gzip.decoded.equals(identity.wire)).toBe(true);
      expect((await fetched(stack.url, PAGE, 'br, gzip')).equals(identity.wire)).toBe(true);
      type Answer = { data: unknown; extensions: { upstream: { stripe: { calls: number } } } };
      const [first, again] = [ran, gzip].map((answer) => JSON.parse(answer.decoded.toString('utf8')) as Answer);
      expect(again!.data).toEqual(first!.data);
      expect(first!.extensions.upstream.stripe.calls).toBeGreaterThan(0);
      expect(again!.extensions.upstream.stripe.calls).toBe(0);
    } finally {
      await stack.close();
    }
  });
});

describe('replays with COMPRESSION=off', () => {
  it('sends identity whatever the client accepts, as before', async () => {
    const stack = await GatewayStack.start({ COMPRESSION: 'off', UPSTREAM_REPORT: 'false' });
    try {
      const ran = await post(stack.url, PAGE, { 'accept-encoding': 'gzip' });
      const replay = await post(stack.url, PAGE, { 'accept-encoding': 'gzip' });
      for (const answer of [ran, replay]) {
        expect(answer.encoding).toBeUndefined();
        expect(answer.vary).not.toContain('accept-encoding');
      }
      expect(replay.wire.equals(ran.wire)).toBe(true);
    } finally {
      await stack.close();
    }
  });
});
