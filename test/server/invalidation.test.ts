import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { eventually } from '../support/eventually.ts';
import { RedisClusterForTests, redisClusterForTests } from '../support/redis-cluster.ts';
import { PrivateRedis, redisForTests } from '../support/redis.ts';

// Needs redis-server on the PATH; the same condition as the shared Redis suites.
const redisUp = await redisForTests();
const clusterTools = await redisClusterForTests();

/** A Redis the test may stop: a server of its own, or a 3-master cluster of its own. */
interface StoppableRedis {
  env: Record<string, string>;
  stop(): Promise<void>;
}

const deployments = [
  {
    name: 'one Redis',
    skip: !redisUp,
    start: async (): Promise<StoppableRedis> => {
      const redis = await PrivateRedis.start();
      return { env: { REDIS_URL: redis.url }, stop: () => redis.stop() };
    },
  },
  {
    name: 'a Redis Cluster',
    skip: !clusterTools,
    start: async (): Promise<StoppableRedis> => {
      const cluster = await RedisClusterForTests.start();
      return { env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') }, stop: () => cluster.stop() };
    },
  },
];

for (const deployment of deployments) describe.skipIf(deployment.skip)(`an invalidation on one instance, over ${deployment.name}`, () => {
  let simulators: SimulatorSet;
  let redis: StoppableRedis;
  let a: GatewayStack;
  let b: GatewayStack;
  beforeAll(async () => {
    simulators = await startSimulators();
    redis = await deployment.start();
    const env = { ...redis.env, REDIS_TIMEOUT_MS: '200' };
    a = await GatewayStack.startRemote(simulators, env);
    b = await GatewayStack.startRemote(simulators, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    await simulators?.close();
  });

  it("reaches the other instances' in-process copies, so a later Redis outage does not bring the old entry back", async () => {
    const [first, second] = simulators.dataset.customers.filter((c) => c.externalRefs.stripe !== null);
    const payments = `query($id: ID!) { customer(id: $id) { payments(first: 1) { edges { cursor } } } }`;
    const name = `query($id: ID!) { customer(id: $id) { name } }`;
    await b.query(payments, { id: toGlobalId('Customer', first!.id) }); // b holds the charges in Redis and in process
    await b.query(name, { id: toGlobalId('Customer', second!.id) });
    const replayed = (r: Awaited<ReturnType<GatewayStack['query']>>) => r.extensions?.upstream?.customers.cacheHits === 0 && r.extensions.upstream.customers.calls === 0;
    expect(replayed(await b.query(name, { id: toGlobalId('Customer', second!.id) }))).toBe(true);

    await a.gateway.invalidate('stripe', 'stripe.charges', first!.externalRefs.stripe!);
    // b has taken the message once its result cache no longer replays an unrelated answer.
    await eventually(async () => !replayed(await b.query(name, { id: toGlobalId('Customer', second!.id) })));

    await redis.stop();
    const after = await b.query(payments, { id: toGlobalId('Customer', first!.id) });
    expect(after.extensions?.upstream?.stripe).toMatchObject({ calls: 1, cacheHits: 0 });
  });

});

describe.skipIf(!redisUp)('an instance whose subscription was interrupted', () => {
  it('assumes everything changed when it is back, since pub/sub kept nothing for it meanwhile', async () => {
    const simulators = await startSimulators();
    const redis = await PrivateRedis.start();
    const b = await GatewayStack.startRemote(simulators, { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200' });
    try {
      const customer = simulators.dataset.customers[9]!;
      const name = `query($id: ID!) { customer(id: $id) { name } }`;
      const replayed = async () => {
        const r = await b.query(name, { id: toGlobalId('Customer', customer.id) });
        return r.extensions?.upstream?.customers.cacheHits === 0 && r.extensions.upstream.customers.calls === 0;
      };
      await eventually(async () => (await replayed()) && (await replayed()), 1000);
      await redis.stop();
      await redis.start();
      // Its subscriber reconnects: whatever was announced meanwhile is lost, so it empties its result cache.
      await eventually(async () => !(await replayed()), 1000);
    } finally {
      await b.close();
      await redis.stop();
      await simulators.close();
    }
  });
});

describe.skipIf(!redisUp)('a cache flush', () => {
  it("leaves the shared quota's keys (its pauses and its waiters' queue) in Redis", async () => {
    const redis = await PrivateRedis.start();
    const simulators = await startSimulators();
    const stack = await GatewayStack.startRemote(simulators, { REDIS_URL: redis.url });
    try {
      const customer = simulators.dataset.customers[0]!;
      await stack.query(`query($id: ID!) { customer(id: $id) { name } }`, { id: toGlobalId('Customer', customer.id) });
      const quotaKeys = async () => (await redis.keys()).filter((key) => key.includes(':quota:'));
      const before = await quotaKeys();
      expect(before.length).toBeGreaterThan(0);
      await stack.gateway.flushCache();
      expect(await quotaKeys()).toEqual(before);
      expect((await redis.keys()).some((key) => key.includes(':cache:'))).toBe(false);
    } finally {
      await stack.close();
      await simulators.close();
      await redis.stop();
    }
  });
});
