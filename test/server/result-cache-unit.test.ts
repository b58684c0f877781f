import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipAnswer } from '../../src/server/gzip-replay.ts';
import { answerKeyOf, ResultCache } from '../../src/server/result-cache.ts';
import { dataOf } from '../../src/server/result-cache-hooks.ts';
import { ownBytes } from '../../src/server/own-bytes.ts';

describe('ResultCache', () => {
  const body = { query: '{ customers(first: 50) { edges { node { id } } } }' };

  it('does not keep an answer that was being built while the cache was cleared', () => {
    const cache = new ResultCache({ maxBytes: 1024 * 1024 });
    const key = answerKeyOf(body)!;
    const ticket = cache.ticket(key);
    cache.clear(); // an invalidation while the answer is built from what it dropped
    cache.set(ticket, { data: Buffer.from('{"data":{"old":true}'), estimate: undefined }, 60_000);
    expect(cache.get(key)).toBeUndefined();
    cache.set(cache.ticket(key), { data: Buffer.from('{"data":{"new":true}'), estimate: undefined }, 60_000);
    expect(cache.get(key)?.data!.toString()).toBe('{"data":{"new":true}');
  });

  it('counts keys (their variables) in its size', () => {
    const cache = new ResultCache({ maxBytes: 10_000 });
    const keys = Array.from({ length: 10 }, (_, n) => answerKeyOf({ query: '{ a }', variables: { n, text: 'x'.repeat(2_000) } })!);
    for (const key of keys) cache.set(cache.ticket(key), { data: Buffer.from('{"data":{}'), estimate: undefined }, 60_000);
    // Each key alone is over 4,000 bytes (UTF-16), so no more than two fit in 10,000.
    expect(keys.filter((key) => cache.get(key) !== undefined).length).toBeLessThanOrEqual(2);
  });

  it('keys a document by a hash of its text, so that keys stay short whatever the text', () => {
    const cache = new ResultCache({ maxBytes: 1024 * 1024 });
    const long = `{ a${'x'.repeat(2_000)} }`;
    const key = answerKeyOf({ query: long })!;
    expect(key.length).toBeLessThan(100);
    expect(answerKeyOf({ query: long })).toBe(key);
    expect(answerKeyOf({ query: `{ a${'x'.repeat(2_000)}y }` })).not.toBe(key);
    // However many other texts are asked for, a kept answer stays within reach.
    cache.set(cache.ticket(key), { data: Buffer.from('{"data":{"a":1}'), estimate: undefined }, 60_000);
    for (let n = 0; n < 2_500; n += 1) answerKeyOf({ query: `{ b${n} }` });
    expect(cache.get(answerKeyOf({ query: long })!)?.data!.toString()).toBe('{"data":{"a":1}');
  });

  it('compresses data of at least gzipFromBytes at its first replay in gzip, and keeps that copy with it', () => {
    let now = 1_000; // lru-cache takes an entry that started at 0 for one without expiry
    const cache = new ResultCache({ maxBytes: 1024 * 1024, gzipFromBytes: 1024, now: () => now });
    const [small, large] = [answerKeyOf({ query: '{ a }' })!, answerKeyOf({ query: '{ b }' })!];
    cache.set(cache.ticket(small), { data: Buffer.from(`{"data":{"a":"${'x'.repeat(1007)}"}`), estimate: undefined }, 60_000); // 1,023 bytes
    cache.set(cache.ticket(large), { data: Buffer.from(`{"data":{"b":"${'x'.repeat(1008)}"}`), estimate: undefined }, 60_000); // 1,024 bytes
    expect([cache.get(small)?.data!.length, cache.get(large)?.data!.length]).toEqual([1_023, 1_024]);
    expect(cache.get(large)?.gzip).toBeUndefined(); // nothing compressed until a replay asks for gzip
    expect(cache.gzipOf(small, cache.get(small)!)).toBeUndefined();
    const first = cache.get(large)!;
    const prefix = cache.gzipOf(large, first)!;
    expect(gunzipSync(gzipAnswer(prefix, Buffer.from('}\n'))).equals(Buffer.concat([first.data!, Buffer.from('}\n')]))).toBe(true);
    const again = cache.get(large)!;
    expect(again.gzip).toBe(prefix);
    expect(cache.gzipOf(large, again)).toBe(prefix); // compressed once
    now = 60_999; // the copy kept the answer's expiry, not a new one
    expect(cache.get(large)).toBeDefined();
    now = 61_001;
    expect(cache.get(large)).toBeUndefined();
    const off = new ResultCache({ maxBytes: 1024 * 1024 }); // COMPRESSION=off
    off.set(off.ticket(large), { ...first, data: first.data! }, 60_000);
    expect(off.gzipOf(large, off.get(large)!)).toBeUndefined();
    expect(() => new ResultCache({ maxBytes: 1024, gzipFromBytes: -1 })).toThrow(TypeError);
  });

  it('compresses no data the compression plugin would stream (over 256 KiB)', () => {
    const cache = new ResultCache({ maxBytes: 4 * 1024 * 1024, gzipFromBytes: 1024 });
    const key = answerKeyOf({ query: '{ big }' })!;
    cache.set(cache.ticket(key), { data: Buffer.from(`{"data":{"b":"${'x'.repeat(256 * 1024)}"}`), estimate: undefined }, 60_000);
    expect(cache.get(key)?.data!.length).toBeGreaterThan(256 * 1024);
    expect(cache.gzipOf(key, cache.get(key)!)).toBeUndefined();
    expect(cache.get(key)?.gzip).toBeUndefined();
  });

  it('counts the compressed copy in its size', () => {
    // Random bytes do not deflate: with its compressed copy, the answer takes twice its size.
    const data = Buffer.concat([Buffer.from('{"data":'), randomBytes(6_000)]);
    const cache = new ResultCache({ maxBytes: 10_000, gzipFromBytes: 1024 });
    const key = answerKeyOf(body)!;
    cache.set(cache.ticket(key), { data, estimate: undefined }, 60_000);
    const kept = cache.get(key)!;
    expect(kept).toBeDefined();
    const prefix = cache.gzipOf(key, kept);
    expect(prefix).toBeDefined(); // this replay still gets it
    expect(cache.get(key)).toBeUndefined(); // but the pair no longer fits
  });

  it('makes the bytes of a replay once per closing, and keeps them in place of the data', () => {
    let now = 1_000;
    const cache = new ResultCache({ maxBytes: 1024 * 1024, now: () => now });
    const key = answerKeyOf(body)!;
    cache.set(cache.ticket(key), { data: Buffer.from('{"data":{"a":1}'), estimate: undefined }, 60_000);
    const [closing, other] = [Buffer.from('}\n'), Buffer.from(',"extensions":{}}\n')];
    const first = cache.answerWith(key, cache.get(key)!, closing);
    expect(first.toString()).toBe('{"data":{"a":1}}\n');
    const kept = cache.get(key)!;
    expect(kept.data!.toString()).toBe('{"data":{"a":1}');
    expect(cache.answerWith(key, kept, closing)).toBe(first); // the same bytes: nothing allocated
    expect(cache.answerWith(key, cache.get(key)!, Buffer.from('}\n')).equals(first)).toBe(true); // an equal closing of another tenant
    expect(cache.answerWith(key, cache.get(key)!, other).toString()).toBe('{"data":{"a":1},"extensions":{}}\n');
    now = 61_001; // the entry kept its expiry
    expect(cache.get(key)).toBeUndefined();
  });

  it('keys a persisted query sent by hash alone as its text, when the text is held', () => {
    const cache = new ResultCache({ maxBytes: 1024 * 1024 });
    const query = '{ customers(first: 1) { edges { cursor } } }';
    const held = new Map([['h1', query], ['h2', 'mutation { x }']]);
    const documentOf = (hash: string) => held.get(hash);
    const byHash = (sha256Hash: string, more: Record<string, unknown> = {}) => ({ variables: { n: 1 }, extensions: { persistedQuery: { version: 1, sha256Hash }, ...more } });
    expect(answerKeyOf(byHash('h1'), 'tenant', documentOf)).toBe(answerKeyOf({ query, variables: { n: 1 } }, 'tenant'));
    expect(answerKeyOf(byHash('h1'), 'tenant')).toBeUndefined(); // APQ off
    expect(answerKeyOf(byHash('unknown'), 'tenant', documentOf)).toBeUndefined();
    expect(answerKeyOf(byHash('h2'), 'tenant', documentOf)).toBeUndefined();
    // A registration (Apollo must see it), another extension, another version: not replayed.
    expect(answerKeyOf({ query, ...byHash('h1') }, 'tenant', documentOf)).toBeUndefined();
    expect(answerKeyOf(byHash('h1', { other: true }), 'tenant', documentOf)).toBeUndefined();
    expect(answerKeyOf({ extensions: { persistedQuery: { version: 2, sha256Hash: 'h1' } } }, 'tenant', documentOf)).toBeUndefined();
  });
});

describe('dataOf', () => {
  const of = (payload: string, suffix: string) => dataOf(Buffer.from(payload), suffix)?.toString();

  it('keeps the data of the payload Apollo wrote, without its extensions and closing brace', () => {
    const extensions = { upstream: { stripe: { calls: 0 } } };
    const payload = `${JSON.stringify({ data: { a: '},"extensions":' }, extensions })}\n`;
    expect(of(payload, `,"extensions":${JSON.stringify(extensions)}}\n`)).toBe('{"data":{"a":"},\\"extensions\\":"}');
    expect(of('{"data":{"a":1}}\n', '}\n')).toBe('{"data":{"a":1}');
    // Bytes, not characters: a name outside ASCII takes two.
    expect(of('{"data":{"name":"Zoë"},"extensions":{"upstream":"é"}}\n', ',"extensions":{"upstream":"é"}}\n')).toBe('{"data":{"name":"Zoë"}');
  });

  it('keeps nothing from a payload of another shape', () => {
    expect(of('{"errors":[],"data":{"a":1}}\n', '}\n')).toBeUndefined();
    expect(of('{"data":{"a":1},"extensions":{"other":1}}\n', ',"extensions":{"upstream":1}}\n')).toBeUndefined();
    expect(of('}\n', '}\n')).toBeUndefined();
  });
});

describe('ownBytes', () => {
  it('copies a small answer out of the shared pool, so a kept answer holds only its own bytes', () => {
    const pooled = Buffer.from('{"data":{"a":1}}\n');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length); // Node's 8 KiB pool
    const own = ownBytes(pooled.subarray(0, 15));
    expect(own.toString()).toBe('{"data":{"a":1}');
    expect(own.buffer.byteLength).toBe(15);
  });

  it('keeps a view of a large answer that shares only a little', () => {
    const large = Buffer.from(`{"data":"${'x'.repeat(10_000)}"},"extensions":{}}\n`);
    const view = large.subarray(0, large.length - 17);
    expect(ownBytes(view)).toBe(view);
  });
});

describe('ResultCache keeping large answers compressed', () => {
  const body = (page: number) => ({ query: 'query($p: Int) { page(n: $p) { rows { id name } } }', variables: { p: page } });
  /** `{"data":…` of a page like a Customer 360 one: repetitive JSON that deflates several times over. */
  const pageData = (page: number) =>
    Buffer.from(`{"data":{"page":{"rows":[${Array.from({ length: 600 }, (_, i) => `{"id":"row-${page}-${i}","name":"Customer ${i}","status":"ACTIVE"}`).join(',')}]}}`);

  it('keeps answers of compressFromBytes or more compressed only, so that the budget holds several times as many', () => {
    const size = pageData(0).length;
    const cache = new ResultCache({ maxBytes: 4 * size, compressFromBytes: 16 * 1024 });
    expect(size).toBeGreaterThan(16 * 1024);
    for (let page = 0; page < 10; page += 1) {
      const key = answerKeyOf(body(page))!;
      cache.set(cache.ticket(key), { data: pageData(page), estimate: undefined }, 60_000);
    }
    for (let page = 0; page < 10; page += 1) {
      const kept = cache.get(answerKeyOf(body(page))!);
      expect(kept?.data).toBeUndefined();
      expect(kept?.gzip?.length).toBe(size);
    }
    const uncompressed = new ResultCache({ maxBytes: 4 * size, compressFromBytes: Infinity });
    for (let page = 0; page < 10; page += 1) {
      const key = answerKeyOf(body(page))!;
      uncompressed.set(uncompressed.ticket(key), { data: pageData(page), estimate: undefined }, 60_000);
    }
    expect(Array.from({ length: 10 }, (_, page) => uncompressed.get(answerKeyOf(body(page))!) !== undefined).filter(Boolean).length).toBeLessThan(4);
  });

  it('replays a compressed answer in identity byte for byte, in lent memory, then kept whole once it is replayed again soon', () => {
    let now = 1_000;
    const cache = new ResultCache({ maxBytes: 1024 * 1024, compressFromBytes: 1024, now: () => now });
    const key = answerKeyOf(body(1))!;
    cache.set(cache.ticket(key), { data: pageData(1), estimate: undefined }, 60_000);
    const closing = Buffer.from('}\n');
    const first = cache.answerWith(key, cache.get(key)!, closing);
    expect(first.equals(Buffer.concat([pageData(1), closing]))).toBe(true);
    expect(cache.lends(first)).toBe(true);
    const second = cache.answerWith(key, cache.get(key)!, closing);
    expect(second.equals(first)).toBe(true);
    expect(cache.lends(second)).toBe(false); // kept whole: not inflated again
    expect(cache.answerWith(key, cache.get(key)!, closing)).toBe(second);
    cache.giveBack(first);
    const other = Buffer.from(',"extensions":{}}\n');
    expect(cache.answerWith(key, cache.get(key)!, other).equals(Buffer.concat([pageData(1), other]))).toBe(true);

    // A newer answer under the same key is replayed, not the whole bytes of the old one.
    cache.set(cache.ticket(key), { data: pageData(2), estimate: undefined }, 60_000);
    expect(cache.answerWith(key, cache.get(key)!, other).equals(Buffer.concat([pageData(2), other]))).toBe(true);
    now = 61_001; // the entry kept its own expiry
    expect(cache.get(key)).toBeUndefined();
  });

  it('lends each replay memory no other replay holds, and lends it again once given back', () => {
    const cache = new ResultCache({ maxBytes: 1024 * 1024, compressFromBytes: 1024 });
    const keys = [1, 2, 3].map((n) => {
      const key = answerKeyOf(body(10 + n))!;
      cache.set(cache.ticket(key), { data: pageData(10 + n), estimate: undefined }, 60_000);
      return key;
    });
    const closing = Buffer.from('}\n');
    const replays = keys.map((key) => cache.answerWith(key, cache.get(key)!, closing));
    expect(new Set(replays.map((bytes) => bytes.buffer)).size).toBe(3); // all lent at once: three memories
    replays.forEach((bytes, n) => expect(bytes.equals(Buffer.concat([pageData(11 + n), closing]))).toBe(true));
    cache.giveBack(replays[0]!);
    const other = answerKeyOf(body(20))!;
    cache.set(cache.ticket(other), { data: pageData(20), estimate: undefined }, 60_000);
    const reused = cache.answerWith(other, cache.get(other)!, closing);
    expect(reused.buffer).toBe(replays[0]!.buffer);
    expect(reused.equals(Buffer.concat([pageData(20), closing]))).toBe(true);
    expect(replays[1]!.equals(Buffer.concat([pageData(12), closing]))).toBe(true); // still lent: untouched
  });

  it('replays it in gzip from the copy it keeps, and only where gzip replays are on', () => {
    const cache = new ResultCache({ maxBytes: 1024 * 1024, gzipFromBytes: 1024, compressFromBytes: 1024 });
    const key = answerKeyOf(body(3))!;
    cache.set(cache.ticket(key), { data: pageData(3), estimate: undefined }, 60_000);
    const kept = cache.get(key)!;
    const prefix = cache.gzipOf(key, kept)!;
    expect(prefix).toBe(kept.gzip);
    expect(gunzipSync(gzipAnswer(prefix, Buffer.from('}\n'))).equals(Buffer.concat([pageData(3), Buffer.from('}\n')]))).toBe(true);

    const off = new ResultCache({ maxBytes: 1024 * 1024, compressFromBytes: 1024 }); // COMPRESSION=off
    off.set(off.ticket(key), { data: pageData(3), estimate: undefined }, 60_000);
    expect(off.gzipOf(key, off.get(key)!)).toBeUndefined();
    expect(off.answerWith(key, off.get(key)!, Buffer.from('}\n')).equals(Buffer.concat([pageData(3), Buffer.from('}\n')]))).toBe(true);
    expect(() => new ResultCache({ maxBytes: 1024, compressFromBytes: -1 })).toThrow(TypeError);

    // By default only where gzip replays are on: with them off every replay would inflate.
    const byDefault = new ResultCache({ maxBytes: 1024 * 1024 });
    byDefault.set(byDefault.ticket(key), { data: pageData(3), estimate: undefined }, 60_000);
    expect(byDefault.get(key)?.data?.length).toBe(pageData(3).length);
    const gzipOn = new ResultCache({ maxBytes: 1024 * 1024, gzipFromBytes: 1024 });
    gzipOn.set(gzipOn.ticket(key), { data: pageData(3), estimate: undefined }, 60_000);
    expect(gzipOn.get(key)?.data).toBeUndefined();
  });

  it('forgets the whole replays with the answers when it is cleared', () => {
    const cache = new ResultCache({ maxBytes: 1024 * 1024, compressFromBytes: 1024 });
    const key = answerKeyOf(body(4))!;
    cache.set(cache.ticket(key), { data: pageData(4), estimate: undefined }, 60_000);
    const closing = Buffer.from('}\n');
    const before = cache.answerWith(key, cache.get(key)!, closing);
    cache.clear();
    expect(cache.get(key)).toBeUndefined();
    cache.set(cache.ticket(key), { data: pageData(5), estimate: undefined }, 60_000);
    const after = cache.answerWith(key, cache.get(key)!, closing);
    expect(after).not.toBe(before);
    expect(after.equals(Buffer.concat([pageData(5), closing]))).toBe(true);
  });
});
