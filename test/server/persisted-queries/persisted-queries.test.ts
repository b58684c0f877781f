import { ApolloServer } from '@apollo/server';
import { createClient } from '@keyv/redis';
import Fastify from 'fastify';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { createPersistedQueries } from '../../../src/server/persisted-queries/persisted-queries.ts';
import { startSimulators, type SimulatorSet } from '../../../src/simulators/index.ts';
import { GatewayStack, type GraphQLResponse } from '../../support/gateway-stack.ts';
import { RedisClusterForTests, redisClusterForTests } from '../../support/redis-cluster.ts';
import { PrivateRedis, REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';

const redisUp = await redisForTests();
const clusterTools = await redisClusterForTests();

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });

interface Answer {
  status: number;
  body: GraphQLResponse;
}

/** What Apollo Client's persisted query link sends: the hash alone, or (registering) with the text. */
async function post(url: string, query: string, options: { register?: boolean; variables?: Record<string, unknown> } = {}): Promise<Answer> {
  const body = { ...(options.register ? { query } : {}), variables: options.variables ?? {}, extensions: persisted(query) };
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.statusCode, body: (await response.body.json()) as GraphQLResponse };
}

/** The same by GET (`useGETForHashedQueries`), which a CDN may cache. */
async function get(url: string, query: string, options: { register?: boolean } = {}): Promise<Answer> {
  const target = new URL(url);
  if (options.register) target.searchParams.set('query', query);
  target.searchParams.set('extensions', JSON.stringify(persisted(query)));
  const response = await request(target, { headers: { 'apollo-require-preflight': 'true' } });
  return { status: response.statusCode, body: (await response.body.json()) as GraphQLResponse };
}

describe('persisted queries as Apollo is given them', () => {
  const config = loadConfig({});
  const log = Fastify({ logger: false }).log;

  it('hold a registering answer until its shared write has landed, and no other', async () => {
    const { option, cache, plugins } = createPersistedQueries(config, undefined, log);
    const written = vi.spyOn(cache!, 'written');
    const server = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } }, persistedQueries: option, plugins });
    await server.start();
    try {
      const query = '{ hello }';
      await server.executeOperation({ query, extensions: persisted(query) });
      expect(written.mock.calls).toEqual([[sha256(query)]]);
      const byHash = await server.executeOperation({ extensions: persisted(query) });
      expect(byHash.body).toMatchObject({ kind: 'single', singleResult: { data: { hello: 'world' } } });
      await server.executeOperation({ query });
      expect(written).toHaveBeenCalledTimes(1);
    } finally {
      await server.stop();
    }
  });

  it('are off with APQ=off, and under TRUSTED_DOCUMENTS=enforce', () => {
    expect(createPersistedQueries(loadConfig({ APQ: 'off' }), undefined, log)).toEqual({ option: false, plugins: [] });
    expect(createPersistedQueries({ ...config, trustedDocuments: { mode: 'enforce', operations: [] } }, undefined, log)).toEqual({ option: false, plugins: [] });
    expect(createPersistedQueries({ ...config, trustedDocuments: { mode: 'allow', operations: [] } }, undefined, log).option).toMatchObject({ ttl: 86_400 });
  });
});

const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.['code'];

/** A Redis two instances share: the suites' own with a prefix of the test's, or a cluster of its own. */
interface SharedRedis {
  env: Record<string, string>;
  stop(): Promise<void>;
}

const deployments = [
  {
    name: 'one Redis',
    skip: !redisUp,
    start: async (): Promise<SharedRedis> => ({ env: { REDIS_URL, CACHE_KEY_PREFIX: uniquePrefix('apq') }, stop: async () => undefined }),
  },
  {
    name: 'a Redis Cluster',
    skip: !clusterTools,
    start: async (): Promise<SharedRedis> => {
      const cluster = await RedisClusterForTests.start();
      return { env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') }, stop: () => cluster.stop() };
    },
  },
];

for (const deployment of deployments) describe.skipIf(deployment.skip)(`persisted queries of two instances on ${deployment.name}`, () => {
  let simulators: SimulatorSet;
  let redis: SharedRedis;
  let a: GatewayStack;
  let b: GatewayStack;
  beforeAll(async () => {
    simulators = await startSimulators();
    redis = await deployment.start();
    a = await GatewayStack.startRemote(simulators, redis.env);
    b = await GatewayStack.startRemote(simulators, redis.env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    await simulators?.close();
  });

  it('finds on instance B, by its hash alone, a query registered on instance A', async () => {
    const query = '{ customers(first: 2) { edges { node { name } } } }';
    expect(codeOf(await post(b.url, query))).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(a.url, query, { register: true });
    expect(registered.body.errors).toBeUndefined();
    const byHash = await post(b.url, query);
    expect(byHash.body.errors).toBeUndefined();
    expect(byHash.body.data).toEqual(registered.body.data);
  });

  it('does the same over GET, registered on B and found on A', async () => {
    const query = '{ customers(first: 1) { edges { cursor } } }';
    const registered = await get(b.url, query, { register: true });
    expect(registered.body.errors).toBeUndefined();
    const byHash = await get(a.url, query);
    expect(byHash.status).toBe(200);
    expect(byHash.body.data).toEqual(registered.body.data);
  });

  it('answers a hash nobody registered with PERSISTED_QUERY_NOT_FOUND, on every instance', async () => {
    for (const stack of [a, b]) {
      const answer = await post(stack.url, '{ never { registered } }');
      expect(codeOf(answer)).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(answer.body.data).toBeUndefined();
    }
  });

  it('keeps documents apart from the entity cache: flushing it forgets no persisted query', async () => {
    const query = '{ customers(first: 3) { edges { cursor } } }';
    expect((await post(a.url, query, { register: true })).body.errors).toBeUndefined();
    await a.gateway.flushCache();
    expect((await post(b.url, query)).body.errors).toBeUndefined();
  });
});

describe.skipIf(!redisUp)('a persisted query in Redis', () => {
  const prefix = uniquePrefix('apq-key');
  let stack: GatewayStack;
  let strict: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start({ REDIS_URL, CACHE_KEY_PREFIX: prefix, APQ_TTL_SECONDS: '600', APQ_MAX_ENTRIES: '3' });
    strict = await GatewayStack.start({ REDIS_URL, CACHE_KEY_PREFIX: prefix, MAX_QUERY_TOKENS: '10' });
  });
  afterAll(async () => {
    await stack?.close();
    await strict?.close();
  });

  it('is its text under <CACHE_KEY_PREFIX>:{apq}:<sha256>, kept for APQ_TTL_SECONDS', async () => {
    const query = '{ customers(first: 1) { edges { node { name } } } }';
    expect((await post(stack.url, query, { register: true })).body.errors).toBeUndefined();
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      const key = `${prefix}:{apq}:${sha256(query)}`;
      expect((await client.keys(`${prefix}:{apq}:*`)).sort()).toEqual([key, `${prefix}:{apq}:index`].sort());
      expect(await client.get(key)).toBe(query);
      const ttl = await client.ttl(key);
      expect(ttl).toBeGreaterThan(590);
      expect(ttl).toBeLessThanOrEqual(600);
    } finally {
      await client.close();
    }
  });

  it('is not found by an instance that would refuse its text (here: MAX_QUERY_TOKENS)', async () => {
    const query = '{ customers(first: 2) { edges { node { name } } } }'; // 17 tokens
    expect((await post(stack.url, query, { register: true })).body.errors).toBeUndefined();
    expect(codeOf(await post(strict.url, query, { register: true }))).toBe('TOO_MANY_TOKENS');
    expect(codeOf(await post(strict.url, query))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('is one of at most APQ_MAX_ENTRIES in Redis, the oldest registrations going first', async () => {
    const queries = [1, 2, 3, 4, 5].map((n) => `{ customers(first: ${n}) { edges { cursor } } }`);
    for (const query of queries) expect((await post(stack.url, query, { register: true })).body.errors).toBeUndefined();
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      expect(await client.zCard(`${prefix}:{apq}:index`)).toBe(3);
      const held = await Promise.all(queries.map((query) => client.get(`${prefix}:{apq}:${sha256(query)}`)));
      expect(held).toEqual([null, null, ...queries.slice(2)]);
    } finally {
      await client.close();
    }
  });
});

describe('persisted queries without Redis', () => {
  let stack: GatewayStack;
  let other: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start();
    other = await GatewayStack.start();
  });
  afterAll(async () => {
    await stack?.close();
    await other?.close();
  });
  const query = `query($id: ID!) { customer(id: $id) { name payments(first: 2) { edges { node { id status } } } } }`;
  const idOf = (n: number) => toGlobalId('Customer', stack.dataset.customers.filter((c) => c.externalRefs.stripe !== null)[n]!.id);
  const plain = (variables: Record<string, unknown>) => stack.query(query, variables);
  /** Replayed: no upstream call and no entity read (a run that read only cached entities counts cache hits). */
  const replayed = (answer: GraphQLResponse) => {
    const upstream = answer.extensions?.upstream;
    return upstream !== undefined && (['customers', 'stripe'] as const).every((provider) => upstream[provider].calls === 0 && upstream[provider].cacheHits === 0);
  };

  it('are kept in process: found by the instance they were registered on, and by no other', async () => {
    const registered = await post(stack.url, query, { register: true, variables: { id: idOf(0) } });
    expect(registered.body.errors).toBeUndefined();
    expect((await post(stack.url, query, { variables: { id: idOf(0) } })).body.data).toEqual(registered.body.data);
    expect(codeOf(await post(other.url, query, { variables: { id: idOf(0) } }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('replay, by hash alone, the answer kept for their text', async () => {
    const first = await plain({ id: idOf(1) });
    expect(replayed(first)).toBe(false);
    expect(replayed(await plain({ id: idOf(1) }))).toBe(true);
    const byHash = await post(stack.url, query, { variables: { id: idOf(1) } });
    expect(byHash.body.data).toEqual(first.data);
    expect(replayed(byHash.body)).toBe(true);
  });

  it('keep, by hash alone, an answer their text then replays', async () => {
    const byHash = await post(stack.url, query, { variables: { id: idOf(2) } });
    expect(byHash.body.errors).toBeUndefined();
    expect(replayed(byHash.body)).toBe(false);
    const again = await post(stack.url, query, { variables: { id: idOf(2) } });
    expect(replayed(again.body)).toBe(true);
    const text = await plain({ id: idOf(2) });
    expect(text.data).toEqual(byHash.body.data);
    expect(replayed(text)).toBe(true);
  });

  it('run a registration (the text with its hash) through Apollo, never from the result cache', async () => {
    await plain({ id: idOf(3) });
    expect(replayed(await plain({ id: idOf(3) }))).toBe(true);
    // Kept for its text: a registration still runs, and so registers.
    const registration = await post(stack.url, query, { register: true, variables: { id: idOf(3) } });
    expect(registration.body.errors).toBeUndefined();
    expect(replayed(registration.body)).toBe(false);
  });
});

describe('APQ=off', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start({ APQ: 'off' });
  });
  afterAll(() => stack?.close());

  it('refuses persisted queries, registration included, with PERSISTED_QUERY_NOT_SUPPORTED, and runs plain ones', async () => {
    const query = '{ customers(first: 1) { edges { cursor } } }';
    expect(codeOf(await post(stack.url, query, { register: true }))).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    expect(codeOf(await post(stack.url, query))).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    expect(codeOf(await get(stack.url, query))).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    expect((await stack.query(query)).errors).toBeUndefined();
  });
});

describe.skipIf(!redisUp)('persisted queries while Redis is down', () => {
  let redis: PrivateRedis;
  let stack: GatewayStack;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await GatewayStack.start({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('still answers registrations, finds them in process, and logs the failed sharing once', async () => {
    await redis.stop();
    const queries = ['{ customers(first: 1) { edges { cursor } } }', '{ customers(first: 2) { edges { cursor } } }', '{ __typename }'];
    for (const query of queries) {
      const answer = await post(stack.url, query, { register: true });
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data).toBeTruthy();
    }
    for (const query of queries) expect((await post(stack.url, query)).body.errors).toBeUndefined();
    expect(codeOf(await post(stack.url, '{ unknown }'))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(stack.logs.filter((line) => line.includes('persisted queries could not be shared'))).toHaveLength(1);
  });
});
