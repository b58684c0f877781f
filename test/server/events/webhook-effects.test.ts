import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup } from '../../../src/simulators/index.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { SubscriptionClient } from '../subscriptions/subscription-client.ts';

/**
 * The embedded default end to end: the simulators sign and deliver their webhooks to the
 * gateway's receivers when their data changes, and the gateway applies each event to its cache.
 */
describe('provider webhooks keep the cache exact', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    stack = await GatewayStack.start();
    lookup = new DatasetLookup(stack.dataset);
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.resetAll();
  });

  const mutate = async (provider: 'customers' | 'stripe' | 'hubspot', body: unknown) => {
    const response = await request(new URL('/_sim/mutate', stack.simulators[provider].url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`/_sim/mutate on ${provider}: ${response.statusCode} ${text}`);
  };
  /** Subscribes, and resolves once the gateway is listening for it. */
  const listen = async <T,>(query: string, variables: Record<string, unknown>) => {
    const client = new SubscriptionClient(stack.gateway.url);
    const listening = stack.gateway.events.changes.size;
    const results = client.subscribe<T>(query, variables);
    const first = results.next();
    await eventually(async () => stack.gateway.events.changes.size > listening);
    return { first, close: () => client.close() };
  };
  /** Delivered (acknowledged after the durable append), then handled. */
  const handled = async (provider: 'customers' | 'stripe' | 'hubspot') => {
    await stack.simulators[provider].webhooks.settled();
    await eventually(async () => (await stack.gateway.events.log.backlog()) === 0);
  };

  it('answers a refund made in Stripe as REFUNDED with no Stripe call: the event carried the charge', async () => {
    const customer = stack.dataset.customers.find((c) => lookup.chargesOf(c.id).some((charge) => charge.status === 'succeeded' && charge.amount_refunded === 0))!;
    const charge = lookup.chargesOf(customer.id).find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
    const query = `query($id: ID!) { customer(id: $id) { payments(first: 100) { edges { node { id status amountRefunded { minorUnits } } } } } }`;
    const statusOf = (body: Awaited<ReturnType<typeof stack.query>>) =>
      (body.data as { customer: { payments: { edges: Array<{ node: { id: string; status: string } }> } } }).customer.payments.edges.find((e) => e.node.id === toGlobalId('Payment', charge.id))?.node.status;
    expect(statusOf(await stack.query(query, { id: toGlobalId('Customer', customer.id) }))).toBe('SUCCEEDED');
    const before = (await stack.simStats('stripe')).requests;
    const subscriber = await listen<{ paymentChanged: { id: string; status: string } }>(`subscription($id: ID!) { paymentChanged(customerId: $id) { id status } }`, {
      id: toGlobalId('Customer', customer.id),
    });

    await mutate('stripe', { action: 'refund', charge: charge.id });
    await handled('stripe');
    expect((await subscriber.first).value?.data?.paymentChanged).toEqual({ id: toGlobalId('Payment', charge.id), status: 'REFUNDED' });
    await subscriber.close();

    const after = await stack.query(query, { id: toGlobalId('Customer', customer.id) });
    expect(statusOf(after)).toBe('REFUNDED');
    expect((await stack.simStats('stripe')).requests).toBe(before); // the refund went through the simulator's admin API, not counted
    const single = await stack.query<{ payment: { status: string } }>(`query($id: ID!) { payment(id: $id) { status } }`, { id: toGlobalId('Payment', charge.id) });
    expect(single.data?.payment.status).toBe('REFUNDED');
    expect((await stack.simStats('stripe')).requests).toBe(before);
    expect(stack.gateway.events.counters.snapshot()['stripe']).toMatchObject({ received: 2, stored: 2, duplicates: 0 });
  });

  it('answers a HubSpot lifecycle-stage change with no HubSpot call: the event patched the cached contact', async () => {
    const customer = stack.dataset.customers.find((c) => c.externalRefs.hubspot !== null && lookup.contactOf(c.id))!;
    const contact = lookup.contactOf(customer.id)!;
    const query = `query($id: ID!) { customer(id: $id) { crmContact { id lifecycleStage } } }`;
    const stageOf = (body: Awaited<ReturnType<typeof stack.query>>) => (body.data as { customer: { crmContact: { lifecycleStage: string } } }).customer.crmContact.lifecycleStage;
    const first = stageOf(await stack.query(query, { id: toGlobalId('Customer', customer.id) }));
    const next = first === 'EVANGELIST' ? 'customer' : 'evangelist';
    const before = (await stack.simStats('hubspot')).requests;
    const subscriber = await listen<{ crmContactChanged: { lifecycleStage: string } }>(`subscription($id: ID!) { crmContactChanged(customerId: $id) { lifecycleStage } }`, {
      id: toGlobalId('Customer', customer.id),
    });

    await mutate('hubspot', { action: 'updateContact', id: contact.id, properties: { lifecyclestage: next } });
    await handled('hubspot');
    expect((await subscriber.first).value?.data?.crmContactChanged).toEqual({ lifecycleStage: next.toUpperCase() });
    await subscriber.close();

    expect(stageOf(await stack.query(query, { id: toGlobalId('Customer', customer.id) }))).toBe(next.toUpperCase());
    expect((await stack.simStats('hubspot')).requests).toBe(before);
  });

  it('answers a customer-service email change after one conditional read of that customer', async () => {
    const customer = stack.dataset.customers[3]!;
    const query = `query($id: ID!) { customer(id: $id) { email } }`;
    await stack.query(`{ customers(first: 10) { edges { node { id email } } } }`); // the page is cached
    expect((await stack.query<{ customer: { email: string } }>(query, { id: toGlobalId('Customer', customer.id) })).data?.customer.email).toBe(customer.email);
    const before = (await stack.simStats('customers')).requests;
    const subscriber = await listen<{ customerChanged: { email: string } }>(`subscription($id: ID!) { customerChanged(id: $id) { email } }`, { id: toGlobalId('Customer', customer.id) });

    await mutate('customers', { action: 'updateCustomer', id: customer.id, email: 'changed@example.com' });
    await handled('customers');
    expect((await subscriber.first).value?.data?.customerChanged).toEqual({ email: 'changed@example.com' });
    await subscriber.close();

    expect((await stack.query<{ customer: { email: string } }>(query, { id: toGlobalId('Customer', customer.id) })).data?.customer.email).toBe('changed@example.com');
    // The cached list page agrees at once: its record yields to the newer entity the event refreshed.
    const listed = await stack.query<{ customers: { edges: Array<{ node: { id: string; email: string } }> } }>(`{ customers(first: 10) { edges { node { id email } } } }`);
    expect(listed.data?.customers.edges.find((edge) => edge.node.id === toGlobalId('Customer', customer.id))?.node.email).toBe('changed@example.com');
    expect((await stack.simStats('customers')).requests).toBe(before + 1);
  });
});
