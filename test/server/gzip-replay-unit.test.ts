import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, gzipAnswer, gzipPrefixOf } from '../../src/server/gzip-replay.ts';

/** JSON-like bytes that deflate well, as answers do (random bytes exercise stored blocks instead). */
function jsonish(bytes: number, seed: number): Buffer {
  let text = '{"data":';
  for (let n = seed; text.length < bytes; n += 1) text += `{"id":"cus_${(n * 7919) % 100_003}","name":"Customer ${n}","amount":${(n * 31) % 9_999}},`;
  return Buffer.from(text.slice(0, bytes));
}

const SIZES = [0, 1, 100, 1_023, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 62 * 1024, 200 * 1024];
const CLOSINGS = ['', '}', '}\n', ',"extensions":{"upstream":{"stripe":{"calls":0,"cacheHits":0}},"estimate":{"cost":42}}}\n', 'é€😀'.repeat(500)].map((text) => Buffer.from(text));

describe('gzipAnswer', () => {
  it('makes one gzip stream that gunzip decodes to the data and the closing, CRC and length checked', () => {
    for (const size of SIZES) {
      for (const data of [jsonish(size, size), randomBytes(size)]) {
        const prefix = gzipPrefixOf(data);
        for (const closing of CLOSINGS) {
          const answer = gzipAnswer(prefix, closing);
          expect(gunzipSync(answer).equals(Buffer.concat([data, closing])), `${size} B of data, ${closing.length} B of closing`).toBe(true);
        }
      }
    }
  });

  it('keeps the data compressed, and a closing shared by two answers serves both', () => {
    const data = jsonish(62 * 1024, 1);
    const other = jsonish(30 * 1024, 2);
    const closing = CLOSINGS[3]!;
    const [first, second] = [gzipAnswer(gzipPrefixOf(data), closing), gzipAnswer(gzipPrefixOf(other), closing)];
    expect(first.length * 3).toBeLessThan(data.length);
    expect(gunzipSync(first).equals(Buffer.concat([data, closing]))).toBe(true);
    expect(gunzipSync(second).equals(Buffer.concat([other, closing]))).toBe(true);
    // Twice the same: the closing's blocks, made once, are not consumed by the first answer.
    expect(gzipAnswer(gzipPrefixOf(data), closing).equals(first)).toBe(true);
  });

  it('is refused by gunzip when its trailer is wrong', () => {
    const data = jsonish(4096, 3);
    const answer = gzipAnswer(gzipPrefixOf(data), Buffer.from('}\n'));
    for (const at of [answer.length - 8, answer.length - 1]) {
      const broken = Buffer.from(answer);
      broken[at] = broken[at]! ^ 0xff;
      expect(() => gunzipSync(broken)).toThrow();
    }
  });
});

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['br, gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8', true],
    ['gzip;q=0.001', true],
    ['*', true],
    ['br, *', true],
    ['identity', false],
    ['', false],
    ['br', false],
    ['deflate, br', false],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['gzip;q=0, br', false],
    ['gzip;q=0, *', false],
    ['*;q=0', false],
    ['*;q=0, gzip', true],
    ['gzip;q=nonsense', false],
    ['gzip;q=2', false],
  ])('Accept-Encoding %j: %s', (header, accepted) => {
    expect(acceptsGzip(header, false)).toBe(accepted);
  });

  it('refuses without the header, and with x-no-compression', () => {
    expect(acceptsGzip(undefined, false)).toBe(false);
    expect(acceptsGzip('gzip', true)).toBe(false);
  });
});
