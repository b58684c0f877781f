import { createClient } from '@keyv/redis';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PersistedQueryCache, type PersistedQueryCacheOptions } from '../../../src/server/persisted-queries/persisted-query-cache.ts';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import { eventually } from '../../support/eventually.ts';
import { ping, PrivateRedis, REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';

const redisUp = await redisForTests();

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
/** The key Apollo hands its cache for a hash (APQ_CACHE_PREFIX). */
const apolloKey = (document: string) => `apq:${sha256(document)}`;
const quiet = { warn: () => undefined, info: () => undefined };

function clock() {
  let ms = 1_000;
  return { now: () => ms, advance: (by: number) => (ms += by) };
}

describe('a persisted query cache in process', () => {
  const options = (more: Partial<PersistedQueryCacheOptions> = {}) => new PersistedQueryCache({ maxTtlSeconds: 60, maxDocumentBytes: 100, ...more });

  it('finds a registered document by the key Apollo asks with, and by its bare hash without waiting', async () => {
    const cache = options();
    const document = '{ __typename }';
    await cache.set(apolloKey(document), document);
    expect(await cache.get(apolloKey(document))).toBe(document);
    expect(cache.peek(sha256(document))).toBe(document);
    expect(await cache.get(apolloKey('{ other }'))).toBeUndefined();
  });

  it('keeps nothing under a key that is not a lower-case SHA-256, which Apollo never registers', async () => {
    const cache = options();
    for (const key of ['apq:abc', `apq:${sha256('x').toUpperCase()}`, sha256('x'), `other:${sha256('x')}`]) {
      await cache.set(key, '{ x }');
      expect(await cache.get(key)).toBeUndefined();
    }
    expect(cache.peek(sha256('x'))).toBeUndefined();
  });

  it('never keeps a document longer than MAX_QUERY_BYTES, counted in UTF-8 bytes', async () => {
    const cache = options();
    const ascii = `{ a${' '.repeat(95)} }`; // 100 bytes
    const longer = `${ascii} `;
    const accented = `{ "${'é'.repeat(47)}" }`; // 53 characters, 100 bytes
    const tooAccented = `{ "${'é'.repeat(48)}" }`; // 54 characters, 102 bytes
    expect([ascii, longer, accented, tooAccented].map((document) => Buffer.byteLength(document))).toEqual([100, 101, 100, 102]);
    for (const document of [ascii, longer, accented, tooAccented]) await cache.set(apolloKey(document), document);
    expect(await cache.get(apolloKey(ascii))).toBe(ascii);
    expect(await cache.get(apolloKey(accented))).toBe(accented);
    expect(await cache.get(apolloKey(longer))).toBeUndefined();
    expect(await cache.get(apolloKey(tooAccented))).toBeUndefined();
  });

  it('keeps a document no longer than APQ_TTL_SECONDS, whatever ttl Apollo asks for', async () => {
    const time = clock();
    const cache = options({ now: time.now });
    const asked = [{ ttl: 3600 }, { ttl: null }, undefined, { ttl: 0 }];
    const documents = asked.map((_, n) => `{ f${n} }`);
    for (const [n, ttl] of asked.entries()) await cache.set(apolloKey(documents[n]!), documents[n]!, ttl);
    const short = '{ short }';
    await cache.set(apolloKey(short), short, { ttl: 10 });
    time.advance(9_999);
    expect(await cache.get(apolloKey(short))).toBe(short);
    time.advance(2);
    expect(await cache.get(apolloKey(short))).toBeUndefined();
    time.advance(60_000 - 10_001 - 1);
    for (const document of documents) expect(await cache.get(apolloKey(document))).toBe(document);
    time.advance(2);
    for (const document of documents) expect(await cache.get(apolloKey(document))).toBeUndefined();
  });

  it('holds at most localMaxBytes of documents, the least recently used going first', async () => {
    const cache = options({ maxDocumentBytes: 2000, localMaxBytes: 10_000 });
    // Each takes 2 × (64 + 1000) + 128 = 2256 estimated bytes: four fit in 10,000.
    const documents = Array.from({ length: 10 }, (_, n) => `{ f${n}${' '.repeat(1000 - 5 - String(n).length)} }`);
    expect(documents.every((document) => document.length === 1000)).toBe(true);
    for (const document of documents) await cache.set(apolloKey(document), document);
    const kept = documents.filter((document) => cache.peek(sha256(document)) !== undefined);
    expect(kept).toEqual(documents.slice(-4));
  });

  it('refuses options that cannot work, naming them', () => {
    expect(() => options({ maxTtlSeconds: 0 })).toThrow('maxTtlSeconds must be a positive integer: 0');
    expect(() => options({ maxDocumentBytes: 1.5 })).toThrow('maxDocumentBytes must be a positive integer: 1.5');
    expect(() => options({ localMaxBytes: -1 })).toThrow('localMaxBytes must be a positive integer: -1');
  });
});

describe.skipIf(!redisUp)('a persisted query cache shared through Redis', () => {
  const connections: RedisConnection[] = [];
  const connect = async (url: string, more: Partial<ConstructorParameters<typeof RedisConnection>[0]> = {}) => {
    const connection = new RedisConnection({ url, commandTimeoutMs: 100, logger: quiet, ...more });
    connections.push(connection);
    await connection.connect();
    return connection;
  };
  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close();
  });

  it('finds on one instance what another registered, under <prefix>:{apq}:<sha256>, as plain text with the capped TTL', async () => {
    const keyPrefix = uniquePrefix('apq-cache');
    const a = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 1000, shared: { redis: await connect(REDIS_URL), keyPrefix } });
    const b = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 1000, shared: { redis: await connect(REDIS_URL), keyPrefix } });
    const document = '{ customers(first: 1) { edges { cursor } } }';
    await a.set(apolloKey(document), document, { ttl: 86_400 });
    expect(b.peek(sha256(document))).toBeUndefined();
    expect(await b.get(apolloKey(document))).toBe(document);
    expect(b.peek(sha256(document))).toBe(document); // read from Redis once, then held here

    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      const key = `${keyPrefix}:{apq}:${sha256(document)}`;
      const index = `${keyPrefix}:{apq}:index`;
      expect(a.sharedKeyOf(sha256(document))).toBe(key);
      expect((await client.keys(`${keyPrefix}*`)).sort()).toEqual([key, index].sort());
      expect(await client.get(key)).toBe(document);
      const ttl = await client.ttl(key);
      expect(ttl).toBeGreaterThan(590);
      expect(ttl).toBeLessThanOrEqual(600);
      expect(await a.delete(apolloKey(document))).toBe(true);
      expect(await client.exists([key, index])).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('refuses a document another instance shared that this one would not take as text', async () => {
    const keyPrefix = uniquePrefix('apq-admits');
    const lenient = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 1000, shared: { redis: await connect(REDIS_URL), keyPrefix } });
    const strict = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 20, admitsShared: (document) => !document.includes('c'), shared: { redis: await connect(REDIS_URL), keyPrefix } });
    const documents = ['{ a }', '{ c }', `{ ${'b'.repeat(30)} }`];
    for (const document of documents) await lenient.set(apolloKey(document), document);
    expect(await Promise.all(documents.map((document) => strict.get(apolloKey(document))))).toEqual(['{ a }', undefined, undefined]);
  });

  it('sends nothing to Redis for a document it would not keep', async () => {
    const keyPrefix = uniquePrefix('apq-bounds');
    const cache = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 10, shared: { redis: await connect(REDIS_URL), keyPrefix } });
    await cache.set(apolloKey('{ a b c d e f }'), '{ a b c d e f }');
    await cache.set('apq:not-a-hash', '{ a }');
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      expect(await client.keys(`${keyPrefix}*`)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  describe('when Redis fails', () => {
    let redis: PrivateRedis;
    beforeAll(async () => {
      redis = await PrivateRedis.start({ debugCommand: true });
    });
    afterAll(() => redis?.stop());

    /**
     * Redis answers nobody for 3 s (DEBUG SLEEP), long enough on a busy machine for what the test
     * does meanwhile. A fresh connection's PING left unanswered for its usual 500 ms shows the
     * stall has begun: on an idle Redis that takes well under a millisecond. The test then waits
     * the stall out, whatever happened, so the next one starts on a Redis that answers.
     */
    async function duringStall(during: () => Promise<void>): Promise<void> {
      const stalled = redis.stall(3);
      const overTooSoon = stalled.then(() => {
        throw new Error('Redis answered again before the stall was seen');
      });
      try {
        await Promise.race([overTooSoon, eventually(async () => !(await ping(redis.url)))]);
        await during();
      } finally {
        await stalled;
      }
    }

    it('answers a read that times out as a miss, and finds the document once Redis answers again', async () => {
      const keyPrefix = uniquePrefix('apq-stall');
      const a = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 1000, shared: { redis: await connect(redis.url, { commandTimeoutMs: 5000 }), keyPrefix } });
      const b = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 1000, shared: { redis: await connect(redis.url, { commandTimeoutMs: 50 }), keyPrefix } });
      const document = '{ stalled }';
      await a.set(apolloKey(document), document);
      await duringStall(async () => {
        await expect(b.get(apolloKey(document))).resolves.toBeUndefined();
      });
      await eventually(async () => (await b.get(apolloKey(document))) === document);
    });

    it('says when a shared write has landed: not while Redis is stalled, once it answers', async () => {
      const keyPrefix = uniquePrefix('apq-written');
      const cache = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 1000, shared: { redis: await connect(redis.url, { commandTimeoutMs: 10_000 }), keyPrefix } });
      const document = '{ slowly }';
      let landed = false;
      let written: Promise<unknown> = Promise.resolve();
      await duringStall(async () => {
        void cache.set(apolloKey(document), document);
        written = cache.written(sha256(document)).then(() => (landed = true));
        // Still stalled after the write was sent: Redis cannot have taken it, so it has not landed.
        expect(await ping(redis.url)).toBe(false);
        expect(landed).toBe(false);
      });
      await written;
      const client = createClient({ url: redis.url });
      await client.connect();
      try {
        expect(await client.get(cache.sharedKeyOf(sha256(document))!)).toBe(document);
      } finally {
        await client.close();
      }
    });

    it('keeps a document it could not share in process, and reports failed writes once per outage', async () => {
      const keyPrefix = uniquePrefix('apq-down');
      const errors: unknown[] = [];
      const connection = await connect(redis.url, { probeIntervalMs: 10 });
      const cache = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 1000, shared: { redis: connection, keyPrefix }, onWriteError: (error) => errors.push(error) });
      await cache.set(apolloKey('{ before }'), '{ before }');
      await redis.stop();
      await eventually(async () => !connection.available);
      const during = ['{ one }', '{ two }', '{ three }'];
      for (const document of during) {
        await cache.set(apolloKey(document), document); // resolves: Apollo never sees the failure
        await cache.written(sha256(document));
      }
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      for (const document of during) expect(await cache.get(apolloKey(document))).toBe(document);
      expect(await cache.get(apolloKey('{ never registered }'))).toBeUndefined();

      await redis.start();
      await eventually(async () => connection.available);
      await cache.set(apolloKey('{ after }'), '{ after }');
      expect(errors).toHaveLength(1);
      await redis.stop();
      await eventually(async () => !connection.available);
      await cache.set(apolloKey('{ again }'), '{ again }');
      expect(errors).toHaveLength(2);
    });
  });
});
