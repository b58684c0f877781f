import { createClient } from '@keyv/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import { eventually } from '../../support/eventually.ts';
import { PrivateRedis, redisForTests } from '../../support/redis.ts';
import { RedisClusterForTests, redisClusterForTests } from '../../support/redis-cluster.ts';

const redisUp = await redisForTests();
const clusterTools = await redisClusterForTests();
const quiet = { warn: () => undefined, info: () => undefined };

describe.skipIf(!redisUp)('a subscription', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('says it is not listening as soon as its connection drops, and listening again only after the gap', async () => {
    const redis = await PrivateRedis.start();
    closers.push(() => redis.stop());
    const connection = new RedisConnection({ url: redis.url, commandTimeoutMs: 2_000, logger: quiet });
    await connection.connect();
    closers.push(() => connection.close());
    const seen: string[] = [];
    await connection.subscribe('channel', {
      message: (text) => seen.push(`message ${text}`),
      gap: () => seen.push('gap'),
      listening: (on) => seen.push(on ? 'listening' : 'not listening'),
    });
    expect(seen).toEqual(['listening']);

    const admin = createClient({ url: redis.url });
    await admin.connect();
    closers.push(() => admin.close());
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await eventually(async () => seen.at(-1) === 'listening' && seen.includes('gap'));
    const afterKill = seen.slice(1);
    // Not listening first (maybe more than once), then the gap, then listening: never listening before the gap.
    expect(afterKill[0]).toBe('not listening');
    expect(afterKill.slice(-2)).toEqual(['gap', 'listening']);
    expect(afterKill.slice(0, -2).every((event) => event === 'not listening')).toBe(true);

    await admin.publish('channel', 'after');
    await eventually(async () => seen.includes('message after'));
  });
});

describe.skipIf(!clusterTools)('a subscription on a Redis Cluster', () => {
  it('delivers messages but never says it is listening: a cluster does not say when a lost subscription is whole again', async () => {
    const cluster = await RedisClusterForTests.start();
    const connection = new RedisConnection({ clusterNodes: cluster.nodes, commandTimeoutMs: 2_000, logger: quiet });
    try {
      await connection.connect();
      const seen: string[] = [];
      await connection.subscribe('channel', { message: (text) => seen.push(`message ${text}`), listening: (on) => seen.push(on ? 'listening' : 'not listening') });
      await connection.run((client) => client.publish('channel', 'hello'));
      await eventually(async () => seen.includes('message hello'));
      expect(seen).not.toContain('listening');
    } finally {
      await connection.close();
      await cluster.stop();
    }
  });
});
