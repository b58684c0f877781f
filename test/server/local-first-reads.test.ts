import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { QUICK_WRITES } from '../support/quick-writes.ts';
import { PrivateRedis, redisForTests } from '../support/redis.ts';

const redisUp = await redisForTests();

/**
 * Two gateways on a Redis of the test's own, so that its command counts are theirs alone; no
 * result cache, so that every query reaches the entity cache. The entity cache reads Redis with
 * MGET (keyv's getMany), which nothing else of the gateway's sends.
 */
describe.skipIf(!redisUp)('an instance reading its in-process copy first', () => {
  let redis: PrivateRedis;
  let admin: ReturnType<typeof createClient>;
  let simulators: SimulatorSet;
  let a: GatewayStack;
  let b: GatewayStack;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    admin = createClient({ url: redis.url });
    await admin.connect();
    simulators = await startSimulators();
    const env = { REDIS_URL: redis.url, RESULT_CACHE_MAX_BYTES: '0', ...QUICK_WRITES };
    a = await GatewayStack.startRemote(simulators, env);
    b = await GatewayStack.startRemote(simulators, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await admin?.close();
    await simulators?.close();
    await redis?.stop();
  });

  const redisReads = async () => Number(/cmdstat_mget:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
  const NAME = `query($id: ID!) { customer(id: $id) { name } }`;
  const nameOn = async (gateway: GatewayStack, id: string) => (await gateway.query<{ customer: { name: string } }>(NAME, { id })).data?.customer.name;

  it("answers from its own copy without reading Redis, and what another instance changed once that instance's message arrives", async () => {
    const id = toGlobalId('Customer', simulators.dataset.customers[3]!.id);
    await nameOn(b, id); // fetched, and stored in Redis and in process
    const before = await redisReads();
    const again = await b.query(NAME, { id });
    expect(again.extensions?.upstream?.customers).toMatchObject({ cacheHits: 1, calls: 0 });
    expect((await redisReads()) - before).toBe(0);

    const renamed = await a.query<{ updateCustomer: { status: string } }>(`mutation($id: ID!) { updateCustomer(input: { id: $id, name: "Renamed On A" }) { status } }`, { id });
    expect(renamed.data?.updateCustomer.status).toBe('SUCCEEDED');
    await eventually(async () => (await nameOn(b, id)) === 'Renamed On A');
  });

  it('reads Redis again while its subscription is interrupted, and its own copy once it is back', async () => {
    const id = toGlobalId('Customer', simulators.dataset.customers[4]!.id);
    await nameOn(b, id);
    const warm = await redisReads();
    await nameOn(b, id);
    expect(await redisReads()).toBe(warm);

    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    const interrupted = await redisReads();
    await nameOn(b, id);
    expect((await redisReads()) - interrupted).toBeGreaterThan(0);

    // Back: the copy was emptied (messages may have been missed), filled again by one read, then used.
    await eventually(async () => {
      await nameOn(b, id);
      const reads = await redisReads();
      await nameOn(b, id);
      return (await redisReads()) === reads;
    });
  });
});
