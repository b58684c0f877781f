import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCompression } from '../../src/server/compression.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

const PAGE = JSON.stringify({ query: CUSTOMER_360, variables: { first: 50 } });
const ORIGIN = 'https://app.example.com';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The bytes as they came over the wire. */
  wire: Buffer;
  /** The same, decoded by what Content-Encoding says. */
  decoded: Buffer;
}

async function post(url: string, body: string, acceptEncoding?: string): Promise<RawAnswer> {
  return raw(url, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN, ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) }, body });
}

async function raw(url: string, options: { method?: 'GET' | 'POST' | 'HEAD'; headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  const response = await request(url, options);
  const wire = Buffer.from(await response.body.arrayBuffer());
  const encoding = response.headers['content-encoding'];
  const decoded = encoding === 'br' ? brotliDecompressSync(wire) : encoding === 'gzip' ? gunzipSync(wire) : wire;
  return { status: response.statusCode, headers: response.headers, wire, decoded };
}

const varyOf = (answer: RawAnswer) => String(answer.headers['vary'] ?? '').toLowerCase().split(/\s*,\s*/);

describe('compressed answers (COMPRESSION=on, the default)', () => {
  let stack: GatewayStack;
  let origin: string;
  beforeAll(async () => {
    // No upstream report: the answers of the same query are then the same bytes, run or replayed.
    stack = await GatewayStack.start({ UPSTREAM_REPORT: 'false', CORS_ORIGINS: ORIGIN });
    origin = new URL(stack.url).origin;
  });
  afterAll(() => stack.close());

  it('sends a 50-customer Customer 360 answer in brotli or gzip, as asked, several times smaller and the same once decoded', async () => {
    // The first runs through Apollo; the result cache replays the next two, compressed as well.
    const br = await post(stack.url, PAGE, 'gzip, deflate, br');
    const gzip = await post(stack.url, PAGE, 'gzip');
    const identity = await post(stack.url, PAGE);
    expect([br.status, gzip.status, identity.status]).toEqual([200, 200, 200]);
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect((JSON.parse(identity.decoded.toString('utf8')) as { data?: { customers: { edges: unknown[] } } }).data?.customers.edges).toHaveLength(50);
    expect(br.decoded.equals(identity.wire)).toBe(true);
    expect(gzip.decoded.equals(identity.wire)).toBe(true);
    const sizes = { identity: identity.wire.length, br: br.wire.length, gzip: gzip.wire.length };
    console.info(`Customer 360, 50 customers: ${sizes.identity} B as is, ${sizes.br} B brotli (${(sizes.identity / sizes.br).toFixed(1)}×), ${sizes.gzip} B gzip (${(sizes.identity / sizes.gzip).toFixed(1)}×)`);
    expect(sizes.br * 3).toBeLessThan(sizes.identity);
    expect(sizes.gzip * 3).toBeLessThan(sizes.identity);
    // Every one of them, the identity one included, says it depends on Accept-Encoding (and, with CORS, Origin).
    for (const answer of [br, gzip, identity]) expect(varyOf(answer)).toEqual(expect.arrayContaining(['origin', 'accept-encoding']));
  });

  it('sends an answer below the threshold as it is', async () => {
    const small = await post(stack.url, JSON.stringify({ query: '{ __typename }' }), 'br, gzip');
    expect(small.status).toBe(200);
    expect(small.wire.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.wire.toString('utf8'))).toEqual({ data: { __typename: 'Query' } });
  });

  it('leaves a CORS preflight empty and unencoded', async () => {
    const preflight = await request(stack.url, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', 'accept-encoding': 'br' },
    });
    await preflight.body.dump();
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['content-encoding']).toBeUndefined();
  });

  // RFC 9110 §9.3.2 lets HEAD omit what is only known while generating the content: Fastify's
  // HEAD route describes the identity representation, consistently.
  it('answers HEAD with no body and the identity representation\'s length, unencoded', async () => {
    const url = `${origin}/ops/assets/uPlot.esm.js`;
    const get = await raw(url, { headers: { 'accept-encoding': 'br' } });
    const plain = await raw(url);
    expect(get.headers['content-encoding']).toBe('br');
    expect(get.decoded.equals(plain.wire)).toBe(true);
    const head = await raw(url, { method: 'HEAD', headers: { 'accept-encoding': 'br' } });
    expect(head.status).toBe(200);
    expect(head.wire.length).toBe(0);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-encoding']).toBeUndefined();
    expect(head.headers['content-length']).toBe(String(plain.wire.length));
  });

  it('serves /metrics gzipped to a scraper that asks for it', async () => {
    const metrics = await raw(`${origin}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-encoding']).toBe('gzip');
    expect(metrics.decoded.toString('utf8')).toMatch(/^# HELP /m);
  });

  it('streams the ops feed uncompressed, one event at a time, to a client that accepts brotli', async () => {
    const stream = await request(`${origin}/ops/stream`, { headers: { 'accept-encoding': 'br, gzip' } });
    try {
      expect(stream.statusCode).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.headers['content-encoding']).toBeUndefined();
      // Two events read while the stream stays open: the second one (a second later) is not held back.
      let buffered = '';
      let events = 0;
      for await (const chunk of stream.body as AsyncIterable<Buffer>) {
        buffered += chunk.toString('utf8');
        events = buffered.split('\n\n').filter((event) => event.startsWith('data: {')).length;
        if (events >= 2) break;
      }
      expect(events).toBeGreaterThanOrEqual(2);
    } finally {
      stream.body.destroy();
    }
  });
});

describe('compression settings', () => {
  it('sends identity with COMPRESSION=off, and nothing under COMPRESSION_THRESHOLD_BYTES', async () => {
    const [off, high] = await Promise.all([
      GatewayStack.start({ COMPRESSION: 'off', UPSTREAM_REPORT: 'false' }),
      GatewayStack.start({ COMPRESSION_THRESHOLD_BYTES: String(1024 * 1024), UPSTREAM_REPORT: 'false' }),
    ]);
    try {
      for (const stack of [off, high]) {
        const answer = await post(stack.url, PAGE, 'br, gzip');
        expect(answer.status).toBe(200);
        expect(answer.headers['content-encoding']).toBeUndefined();
        expect(answer.wire.length).toBeGreaterThan(30 * 1024);
      }
      // Off, the answer no longer depends on Accept-Encoding; under the threshold it still does.
      expect(varyOf(await post(off.url, PAGE, 'br'))).not.toContain('accept-encoding');
      expect(varyOf(await post(high.url, PAGE, 'br'))).toContain('accept-encoding');
    } finally {
      await Promise.all([off.close(), high.close()]);
    }
  });

  it('never encodes a 304 or a 204, which carry no content', async () => {
    const app = Fastify();
    await registerCompression(app, { enabled: true, thresholdBytes: 0 });
    app.get('/unchanged', async (_request, reply) => reply.code(304).type('application/json').send('{"large":"' + 'x'.repeat(4096) + '"}'));
    app.get('/empty', async (_request, reply) => reply.code(204).send());
    try {
      for (const url of ['/unchanged', '/empty']) {
        const answer = await app.inject({ url, headers: { 'accept-encoding': 'br' } });
        expect(answer.headers['content-encoding']).toBeUndefined();
        expect(answer.rawPayload.length).toBe(0);
      }
    } finally {
      await app.close();
    }
  });
});
