import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PersistedQueryCache } from '../../../src/server/persisted-queries/persisted-query-cache.ts';
import { SharedDocumentStore } from '../../../src/server/persisted-queries/shared-document-store.ts';
import type { RedisTarget } from '../../../src/upstream/redis/redis-client.ts';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import { eventually } from '../../support/eventually.ts';
import { RedisClusterForTests, redisClusterForTests } from '../../support/redis-cluster.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';

const redisUp = await redisForTests();
const clusterTools = await redisClusterForTests();

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const apolloKey = (document: string) => `apq:${sha256(document)}`;
const quiet = { warn: () => undefined, info: () => undefined };

describe('a shared document store', () => {
  it('refuses options that cannot work, naming them', () => {
    expect(() => new SharedDocumentStore('a{b}', 10)).toThrow("keyPrefix must not contain a hash tag's braces: a{b}");
    expect(() => new SharedDocumentStore('p', 0)).toThrow('maxEntries must be a positive integer: 0');
    expect(() => new SharedDocumentStore('p', 2.5)).toThrow('maxEntries must be a positive integer: 2.5');
  });
});

/** Where the documents are: the suites' Redis, or a cluster of the suite's own. */
const deployments: { name: string; skip: boolean; start: () => Promise<{ target: RedisTarget; stop: () => Promise<void> }> }[] = [
  { name: 'one Redis', skip: !redisUp, start: async () => ({ target: { url: REDIS_URL }, stop: async () => undefined }) },
  {
    name: 'a Redis Cluster',
    skip: !clusterTools,
    start: async () => {
      const cluster = await RedisClusterForTests.start();
      return { target: { clusterNodes: cluster.nodes }, stop: () => cluster.stop() };
    },
  },
];

for (const deployment of deployments) describe.skipIf(deployment.skip)(`persisted queries capped at APQ_MAX_ENTRIES on ${deployment.name}`, () => {
  let stop: () => Promise<void> = async () => undefined;
  let target: RedisTarget;
  const connections: RedisConnection[] = [];
  beforeAll(async () => {
    ({ target, stop } = await deployment.start());
  });
  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close();
  });
  afterAll(() => stop());

  /** Three documents at most, and what Redis holds for them, read on the cache's own client. */
  async function capped(maxEntries = 3) {
    const keyPrefix = uniquePrefix('apq-cap');
    const connection = new RedisConnection({ ...target, commandTimeoutMs: 5000, logger: quiet });
    connections.push(connection);
    await connection.connect();
    const cache = new PersistedQueryCache({ maxTtlSeconds: 600, maxDocumentBytes: 1000, shared: { redis: connection, keyPrefix, maxEntries } });
    const index = `${keyPrefix}:{apq}:index`;
    const client = connection.client;
    return {
      cache,
      index,
      register: async (document: string, ttl?: number) => cache.set(apolloKey(document), document, ttl === undefined ? undefined : { ttl }),
      /** The documents Redis holds, of those given. */
      held: async (documents: string[]) => {
        const found = await Promise.all(documents.map((document) => client.get(`${keyPrefix}:{apq}:${sha256(document)}`)));
        return documents.filter((_, n) => found[n] === documents[n]);
      },
      indexed: () => client.zRange(index, 0, -1),
      client,
    };
  }

  const documents = Array.from({ length: 5 }, (_, n) => `{ f${n} }`);

  it('keeps the newest three of five documents registered, and its index holds exactly those', async () => {
    const store = await capped();
    for (const document of documents) await store.register(document);
    expect(await store.held(documents)).toEqual(documents.slice(2));
    expect(await store.indexed()).toEqual(documents.slice(2).map(sha256));
    // The index goes when its last document would: a prefix nobody uses leaves nothing behind.
    const indexTtl = await store.client.pTTL(store.index);
    expect(indexTtl).toBeGreaterThan(590_000);
    // The expiry is rounded up to the millisecond (PEXPIREAT of the newest score's ceiling), and
    // PTTL counts from the current millisecond's start: up to one more than the ttl.
    expect(indexTtl).toBeLessThanOrEqual(600_001);
  });

  it('counts a document registered again as new: the oldest other one goes instead', async () => {
    const store = await capped();
    const [d0, d1, d2, d3] = documents as [string, string, string, string];
    for (const document of [d0, d1, d2, d0, d3]) await store.register(document);
    expect(await store.held([d0, d1, d2, d3])).toEqual([d0, d2, d3]);
    expect(await store.indexed()).toEqual([d2, d0, d3].map(sha256));
  });

  it('drops index entries whose documents have expired, so they take no place under the cap', async () => {
    const store = await capped();
    const [lasting, later, last] = documents as [string, string, string];
    const brief = '{ brief }';
    await store.register(lasting);
    await store.register(brief, 1); // Apollo's ttl, in seconds
    expect(await store.indexed()).toEqual([brief, lasting].map(sha256));
    // Redis expires the document on its own; the index learns of it at the next registration.
    await eventually(async () => (await store.held([brief])).length === 0);
    await store.register(later);
    expect(await store.indexed()).toEqual([lasting, later].map(sha256));
    await store.register(last);
    expect(await store.held([lasting, later, last])).toEqual([lasting, later, last]);
  });

  it('deletes a document with its index entry', async () => {
    const store = await capped();
    for (const document of documents.slice(0, 2)) await store.register(document);
    expect(await store.cache.delete(apolloKey(documents[0]!))).toBe(true);
    expect(await store.held(documents.slice(0, 2))).toEqual([documents[1]]);
    expect(await store.indexed()).toEqual([sha256(documents[1]!)]);
  });
});
