import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup, startSimulators, type SimulatorSet } from '../../../src/simulators/index.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { QUICK_WRITES } from '../../support/quick-writes.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';
import { dropKeysWith } from '../../support/redis-cleanup.ts';

const redisUp = await redisForTests();

/**
 * Two gateways on one Redis, no webhooks: what a write on instance A changed, instance B answers
 * at once, by the write's own effects (its in-process copies dropped through Redis).
 */
describe.skipIf(!redisUp)('writes seen by another instance', () => {
  const prefix = uniquePrefix('writes-2x');
  let simulators: SimulatorSet;
  let a: GatewayStack;
  let b: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    simulators = await startSimulators();
    lookup = new DatasetLookup(simulators.dataset);
    const env = { REDIS_URL, CACHE_KEY_PREFIX: prefix, ...QUICK_WRITES };
    a = await GatewayStack.startRemote(simulators, env);
    b = await GatewayStack.startRemote(simulators, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await simulators?.close();
    await dropKeysWith(prefix);
  });

  const CUSTOMER = `query($id: ID!) { customer(id: $id) { name version payments(first: 100) { edges { node { id status } } } } }`;
  type Customer = { customer: { name: string; version: number; payments: { edges: Array<{ node: { id: string; status: string } }> } } };
  const stats = async (provider: 'customers' | 'stripe') => (await a.simStats(provider)).requests;

  it('answers on B the customer A changed, with no call to the customer service', async () => {
    const customer = simulators.dataset.customers[10]!;
    const id = toGlobalId('Customer', customer.id);
    const before = (await b.query<Customer>(CUSTOMER, { id })).data!.customer;
    const calls = await stats('customers');

    const answer = await a.query<{ updateCustomer: { status: string } }>(`mutation($id: ID!) { updateCustomer(input: { id: $id, name: "Renamed On A" }) { status } }`, { id });
    expect(answer.data?.updateCustomer.status).toBe('SUCCEEDED');

    await eventually(async () => (await b.query<Customer>(CUSTOMER, { id })).data?.customer.name === 'Renamed On A');
    expect((await b.query<Customer>(CUSTOMER, { id })).data!.customer.version).toBe(before.version + 1);
    expect((await stats('customers')) - calls).toBe(1); // the PATCH
  });

  it('answers on B the refund A made, reading the payments again', async () => {
    const customer = simulators.dataset.customers.find((c) => lookup.chargesOf(c.id).some((x) => x.status === 'succeeded' && x.amount_refunded === 0 && x.currency === 'usd'))!;
    const charge = lookup.chargesOf(customer.id).find((x) => x.status === 'succeeded' && x.amount_refunded === 0 && x.currency === 'usd')!;
    const id = toGlobalId('Customer', customer.id);
    const statusOnB = async () => (await b.query<Customer>(CUSTOMER, { id })).data!.customer.payments.edges.find((e) => e.node.id === toGlobalId('Payment', charge.id))?.node.status;
    expect(await statusOnB()).toBe('SUCCEEDED');

    const answer = await a.post<{ refundPayment: { status: string } }>(`mutation($id: ID!) { refundPayment(input: { paymentId: $id }) { status } }`, { id: toGlobalId('Payment', charge.id) }, { 'idempotency-key': 'two-x-refund' });
    expect(answer.body.data?.refundPayment.status).toBe('SUCCEEDED');
    await eventually(async () => (await statusOnB()) === 'REFUNDED');
  });

  it('lets B read the status of a write A queued, and whichever instance sends it, sends it once', async () => {
    const customer = simulators.dataset.customers[12]!;
    const id = toGlobalId('Customer', customer.id);
    const patched = async () => (await a.simStats('customers')).byRoute['PATCH /v1/customers/:id']?.['200'] ?? 0;
    const before = await patched();
    await a.simAdmin('customers', 'faults', { outage: true });
    const queued = await a.query<{ updateCustomer: { status: string; operationId: string } }>(
      `mutation($id: ID!) { updateCustomer(input: { id: $id, name: "Queued On A" }, allowDeferred: true) { status operationId } }`,
      { id },
    );
    expect(queued.data?.updateCustomer.status).toBe('QUEUED');
    const STATUS = `query($id: ID!) { writeStatus(id: $id) { state } }`;
    expect((await b.query<{ writeStatus: { state: string } }>(STATUS, { id: queued.data!.updateCustomer.operationId })).data?.writeStatus?.state).toBe('QUEUED');

    await a.simAdmin('customers', 'faults', {});
    await eventually(async () => (await b.query<{ writeStatus: { state: string } | null }>(STATUS, { id: queued.data!.updateCustomer.operationId })).data?.writeStatus?.state === 'SUCCEEDED', 2000);
    expect((await patched()) - before).toBe(1);
    expect((await b.query<Customer>(CUSTOMER, { id })).data!.customer.name).toBe('Queued On A');
  });
});
