import { afterAll } from 'vitest';
import type { RedisTarget } from '../../src/upstream/redis/redis-client.ts';
import { RedisConnection } from '../../src/upstream/redis/redis-connection.ts';
import { eventually } from '../support/eventually.ts';
import { dropKeysWith } from '../support/redis-cleanup.ts';
import { RedisClusterForTests, redisClusterForTests } from '../support/redis-cluster.ts';
import { REDIS_URL, redisForTests } from '../support/redis.ts';

const quiet = { warn: () => undefined, info: () => undefined };

/** A deployment the Redis write stores run on; `skip` only outside CI (redisForTests fails CI). */
export interface RedisBackend {
  name: string;
  skip: boolean;
  /** A connection of its own, up; a generous timeout, as the machine may be busy. */
  connect(): Promise<RedisConnection>;
  /** Removes every key holding `prefix`; a cluster of the file's own is stopped instead. */
  dropKeys(prefix: string): Promise<void>;
}

/**
 * One Redis server (the shared one) and a 3-master Redis Cluster started for the calling test
 * file: every write-store script touches one key, which must hold on a cluster too.
 */
export async function redisBackends(): Promise<RedisBackend[]> {
  const redisUp = await redisForTests();
  const clusterTools = await redisClusterForTests();
  let cluster: Promise<RedisClusterForTests> | undefined;
  afterAll(async () => {
    await cluster?.then((started) => started.stop(), () => undefined);
  });
  const connectTo = async (target: RedisTarget, name: string) => {
    const connection = new RedisConnection({ ...target, commandTimeoutMs: 5000, logger: quiet });
    await connection.connect();
    // A cluster client may be open a moment before its slot map lets commands through.
    await eventually(async () => connection.available).catch(() => {
      throw new Error(`${name} did not answer`);
    });
    return connection;
  };
  return [
    { name: 'redis', skip: !redisUp, connect: () => connectTo({ url: REDIS_URL }, 'redis'), dropKeys: (prefix) => dropKeysWith(prefix) },
    {
      name: 'redis cluster',
      skip: !clusterTools,
      connect: async () => connectTo({ clusterNodes: (await (cluster ??= RedisClusterForTests.start())).nodes }, 'redis cluster'),
      dropKeys: async () => undefined,
    },
  ];
}
