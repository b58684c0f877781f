import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { eventually } from '../support/eventually.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { dropTagRegistry, REDIS_URL, redisForTests, uniquePrefix } from '../support/redis.ts';

describe('the result cache', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start();
  });
  afterAll(() => stack.close());

  const query = `query($id: ID!) { customer(id: $id) { name payments(first: 2) { edges { node { id status } } } } }`;
  const idOf = (n: number) => toGlobalId('Customer', stack.dataset.customers.filter((c) => c.externalRefs.stripe !== null)[n]!.id);

  it('replays a fresh answer byte for byte, with a report of no upstream calls', async () => {
    const first = await stack.query(query, { id: idOf(0) });
    const again = await stack.query(query, { id: idOf(0) });
    expect(again.data).toEqual(first.data);
    expect(again.extensions?.upstream).toMatchObject({ customers: { calls: 0, cacheHits: 0 }, stripe: { calls: 0, cacheHits: 0 } });
    const other = await stack.query(query, { id: idOf(1) });
    expect(other.data).not.toEqual(first.data);
    expect(other.extensions?.upstream?.stripe.calls).toBe(1);
  });

  it('replays the very bytes of the data it sent, names outside ASCII included, with their length', async () => {
    const customer = stack.dataset.customers.find((c) => /[^\x00-\x7f]/.test(c.name) && c.externalRefs.stripe !== null)!;
    const raw = async () => {
      const response = await request(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: { id: toGlobalId('Customer', customer.id) } }) });
      const bytes = Buffer.from(await response.body.arrayBuffer());
      return { bytes, length: Number(response.headers['content-length']) };
    };
    const first = await raw();
    const replayed = await raw();
    const dataText = (bytes: Buffer) => bytes.toString('utf8').slice(0, bytes.toString('utf8').indexOf(',"extensions":'));
    expect(dataText(first.bytes)).toContain(customer.name);
    expect(dataText(replayed.bytes)).toBe(dataText(first.bytes));
    expect(replayed.length).toBe(replayed.bytes.length);
    expect((JSON.parse(replayed.bytes.toString('utf8')) as { extensions: { upstream: { stripe: { calls: number } } } }).extensions.upstream.stripe.calls).toBe(0);
  });

  it('never replays an answer that carried errors', async () => {
    await stack.simAdmin('stripe', 'faults', { outage: true });
    const failed = await stack.query(query, { id: idOf(2) });
    expect(failed.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
    await stack.simAdmin('stripe', 'reset');
    const healthy = await stack.query(query, { id: idOf(2) });
    expect(healthy.errors).toBeUndefined();
    expect(healthy.extensions?.upstream?.stripe.calls).toBeGreaterThan(0);
  });

  it('is emptied by an invalidation', async () => {
    await stack.query(query, { id: idOf(3) });
    const customer = stack.dataset.customers.filter((c) => c.externalRefs.stripe !== null)[3]!;
    await stack.gateway.invalidate('stripe', 'stripe.charges', customer.externalRefs.stripe!);
    const after = await stack.query(query, { id: idOf(3) });
    expect(after.extensions?.upstream).toMatchObject({ customers: { cacheHits: 1 }, stripe: { calls: 1 } });
  });
});

const redisUp = await redisForTests();

describe.skipIf(!redisUp)('the result cache across instances sharing Redis', () => {
  let simulators: SimulatorSet;
  let a: GatewayStack;
  let b: GatewayStack;
  const env = { REDIS_URL, CACHE_KEY_PREFIX: uniquePrefix('results') };
  beforeAll(async () => {
    simulators = await startSimulators();
    a = await GatewayStack.startRemote(simulators, env);
    b = await GatewayStack.startRemote(simulators, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await simulators?.close();
    await dropTagRegistry(`${env.CACHE_KEY_PREFIX}:cache`); // the gateway's entity store prefix
  });

  it('an invalidation on one instance empties the others', async () => {
    const customer = simulators.dataset.customers.find((c) => c.externalRefs.stripe !== null)!;
    const query = `query($id: ID!) { customer(id: $id) { payments(first: 1) { edges { cursor } } } }`;
    const id = toGlobalId('Customer', customer.id);
    await b.query(query, { id });
    expect((await b.query(query, { id })).extensions?.upstream?.stripe.cacheHits).toBe(0); // replayed
    await a.gateway.invalidate('stripe', 'stripe.charges', customer.externalRefs.stripe!);
    // b replays until the message reaches it; then it asks Stripe again.
    await eventually(async () => (await b.query(query, { id })).extensions?.upstream?.stripe.calls === 1);
  });
});
