import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';
import { dropTagRegistry, REDIS_URL, redisForTests, uniquePrefix } from '../support/redis.ts';

const redisUp = await redisForTests();
// By provider name: `upstream` also holds the `estimate`, whose `calls` are not actual calls.
const totalCalls = (upstream: Record<'customers' | 'stripe' | 'hubspot', { calls: number }> | undefined) =>
  (['customers', 'stripe', 'hubspot'] as const).reduce((sum, provider) => sum + (upstream?.[provider].calls ?? 0), 0);

describe('the entity cache on the Customer 360 page', () => {
  let stack: GatewayStack;
  let now = Date.now();
  beforeAll(async () => {
    // Customer-service entries expire after 2 s; Stripe and HubSpot keep their longer defaults.
    stack = await GatewayStack.start({ CACHE_POLICY: 'customers.page=2/0/3600,customers.customer=2/0/3600' }, () => now);
  });
  afterAll(() => stack.close());

  it('answers a repeat within the time to live with zero upstream calls, then revalidates with 304s', async () => {
    await stack.resetAll();
    now += 1; // the fetches below begin after the flush, not in the same instant
    const cold = await stack.query(CUSTOMER_360, { first: 50 });
    expect(cold.errors).toBeUndefined();
    expect(totalCalls(cold.extensions?.upstream)).toBeGreaterThan(0);
    const before = await Promise.all([stack.simStats('customers'), stack.simStats('stripe'), stack.simStats('hubspot')]);

    const warm = await stack.query(CUSTOMER_360, { first: 50 });
    expect(warm.data).toEqual(cold.data);
    expect(totalCalls(warm.extensions?.upstream)).toBe(0);
    const after = await Promise.all([stack.simStats('customers'), stack.simStats('stripe'), stack.simStats('hubspot')]);
    expect(after.map((s) => s.requests)).toEqual(before.map((s) => s.requests));

    now += 2100;
    const revalidated = await stack.query(CUSTOMER_360, { first: 50 });
    expect(revalidated.data).toEqual(cold.data);
    const customers = await stack.simStats('customers');
    expect(customers.notModified).toBe(1);
    expect(customers.requests - before[0]!.requests).toBe(1);
    expect(revalidated.extensions?.upstream).toMatchObject({ customers: { calls: 1, revalidated: 1 }, stripe: { calls: 0 }, hubspot: { calls: 0 } });
    expect(revalidated.extensions?.upstream?.customers.bytesSaved).toBeGreaterThan(1000);
  });

  it('forgets an entity on invalidate, so the next read goes to the provider', async () => {
    const customer = stack.dataset.customers.find((c) => c.externalRefs.stripe !== null)!;
    const query = `query($id: ID!) { customer(id: $id) { payments(first: 1) { edges { cursor } } } }`;
    const id = toGlobalId('Customer', customer.id);
    await stack.query(query, { id });
    const warm = await stack.query(query, { id });
    expect(warm.extensions?.upstream).toMatchObject({ stripe: { calls: 0 } });
    await stack.gateway.invalidate('stripe', 'stripe.charges', customer.externalRefs.stripe!);
    const after = await stack.query(query, { id });
    expect(after.extensions?.upstream).toMatchObject({ stripe: { calls: 1 } });
    await expect(stack.gateway.invalidate('stripe', 'hubspot.deal', '1')).rejects.toThrow(TypeError);
  });

  it('answers a cached list whose record was dropped, with the customer service down, from the page', async () => {
    await stack.resetAll();
    now += 1;
    const LIST = '{ customers(first: 5) { edges { node { id name } } } }';
    const before = await stack.query(LIST);
    await stack.gateway.invalidate('customers', 'customers.customer', stack.dataset.customers[1]!.id);
    await stack.simAdmin('customers', 'faults', { outage: true });
    try {
      const after = await stack.query(LIST);
      expect(after.errors).toBeUndefined();
      expect(after.data).toEqual(before.data);
    } finally {
      await stack.simAdmin('customers', 'faults', {});
    }
  });
});

describe.skipIf(!redisUp)('two tenants sharing one Redis', () => {
  let simulators: SimulatorSet;
  let tenantA: GatewayStack;
  let tenantB: GatewayStack;
  const prefix = uniquePrefix('tenants');
  beforeAll(async () => {
    simulators = await startSimulators({ extraCredentials: { customers: ['tenant-b-token'], stripe: ['sk_test_tenantB'], hubspot: ['pat-na1-tenant-b'] } });
    // Whole answers are replayed per instance; this suite is about the shared entity cache.
    const shared = { REDIS_URL, CACHE_KEY_PREFIX: prefix, RESULT_CACHE_MAX_BYTES: '0' };
    tenantA = await GatewayStack.startRemote(simulators, shared);
    tenantB = await GatewayStack.startRemote(simulators, {
      ...shared,
      CUSTOMERS_API_TOKEN: 'tenant-b-token',
      STRIPE_SECRET_KEY: 'sk_test_tenantB',
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-tenant-b',
    });
  });
  afterAll(async () => {
    await tenantA?.close();
    await tenantB?.close();
    await simulators?.close();
    await dropTagRegistry(`${prefix}:cache`); // the gateway's entity store prefix
  });

  it('never answer each other from the cache, and keys hold no credential', async () => {
    const customer = simulators.dataset.customers[7]!;
    const query = `query($id: ID!) { customer(id: $id) { name } }`;
    const id = toGlobalId('Customer', customer.id);
    expect((await tenantA.query(query, { id })).data).toEqual({ customer: { name: customer.name } });

    // Mark tenant A's cached copy, the way a tenant-specific value would differ.
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    const keys = await redis.keys(`${prefix}:*customer:${customer.id}`);
    expect(keys).toHaveLength(1);
    // The tag registry names every tenant, by fingerprint only.
    const tags = await redis.sMembers(`${prefix}:cache-tags`);
    expect(tags.length).toBeGreaterThan(0);
    for (const key of [...(await redis.keys(`${prefix}:*`)), ...tags]) {
      for (const secret of ['sim-customers-token', 'tenant-b-token', 'sk_test_', 'pat-na1']) expect(key).not.toContain(secret);
    }
    const entry = JSON.parse((await redis.get(keys[0]!))!) as { value: { value: { name: string } } };
    entry.value.value.name = 'Only tenant A may see this';
    await redis.set(keys[0]!, JSON.stringify(entry), { PX: 60_000 });
    await redis.close();

    // Another instance of tenant A reads the marked copy: its in-process copy is empty (the first
    // one answers from its own, which a write straight into Redis does not reach).
    const tenantAAgain = await GatewayStack.startRemote(simulators, { REDIS_URL, CACHE_KEY_PREFIX: prefix, RESULT_CACHE_MAX_BYTES: '0' });
    try {
      expect((await tenantAAgain.query(query, { id })).data).toEqual({ customer: { name: 'Only tenant A may see this' } });
    } finally {
      await tenantAAgain.close();
    }
    const b = await tenantB.query(query, { id });
    expect(b.data).toEqual({ customer: { name: customer.name } });
    expect(b.extensions?.upstream).toMatchObject({ customers: { calls: 1 } });
  });
});
