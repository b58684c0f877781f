import { request } from 'undici';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Change } from '../../../src/events/change.ts';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup } from '../../../src/simulators/dataset/dataset-lookup.ts';
import type { CustomerRecord } from '../../../src/simulators/dataset/dataset.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { SubscriptionClient, webSocketUrl } from './subscription-client.ts';

const TENANT = 'sample'; // the embedded default's tenant

const PAYMENT_CHANGED = `subscription($customerId: ID!) {
  paymentChanged(customerId: $customerId) { id status amount { minorUnits currency } amountRefunded { minorUnits } customer { id email } }
}`;

interface PaymentChanged {
  paymentChanged: { id: string; status: string; amount: { minorUnits: string; currency: string }; amountRefunded: { minorUnits: string }; customer: { id: string; email: string } | null } | null;
}

describe('subscriptions over WebSocket on /graphql (the embedded default: no auth, one tenant)', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;
  let customer: CustomerRecord;
  let client: SubscriptionClient;

  const payment = (entityId: string, extra: Partial<Change> = {}): Change => ({ tenantId: TENANT, topic: 'payment', key: customer.externalRefs.stripe!, entityId, occurredAt: 0, ...extra });
  const listening = (count: number) => eventually(async () => stack.gateway.events.changes.size === count);

  beforeAll(async () => {
    stack = await GatewayStack.start({ SUBSCRIPTIONS_MAX_PER_CONNECTION: '3' });
    lookup = new DatasetLookup(stack.dataset);
    customer = stack.dataset.customers.find((c) => c.externalRefs.stripe !== null && c.externalRefs.hubspot !== null && lookup.chargesOf(c.id).length >= 2 && lookup.dealsOfContact(c.externalRefs.hubspot).length >= 1)!;
  });
  afterAll(() => stack.close());
  beforeEach(async () => {
    await stack.resetAll();
    client = new SubscriptionClient(stack.url);
  });
  afterEach(async () => {
    await client.close();
    await listening(0);
  });

  it('sends the changed payment, read through the loaders, nested fields included', async () => {
    const charge = lookup.chargesOf(customer.id)[0]!;
    const results = client.subscribe<PaymentChanged>(PAYMENT_CHANGED, { customerId: toGlobalId('Customer', customer.id) });
    const first = results.next();
    await listening(1);
    stack.gateway.events.changes.publish(payment(charge.id));
    const { value } = await first;
    expect(value?.errors).toBeUndefined();
    expect(value?.data?.paymentChanged).toEqual({
      id: toGlobalId('Payment', charge.id),
      status: expect.any(String),
      amount: { minorUnits: String(charge.amount), currency: charge.currency.toUpperCase() },
      amountRefunded: { minorUnits: String(charge.amount_refunded) },
      customer: { id: toGlobalId('Customer', customer.id), email: customer.email },
    });
    await results.return?.();
  });

  it('reads each event fresh: a refund made after the first event shows in the second', async () => {
    const charge = lookup.chargesOf(customer.id).find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
    const results = client.subscribe<PaymentChanged>(PAYMENT_CHANGED, { customerId: toGlobalId('Customer', customer.id) });
    const first = results.next();
    await listening(1);
    stack.gateway.events.changes.publish(payment(charge.id));
    expect((await first).value?.data?.paymentChanged?.amountRefunded.minorUnits).toBe('0');

    // What a charge.refunded webhook does: the change reaches Stripe, the cache entry goes, the hub is told.
    await refund(stack, charge.id, 100);
    await stack.gateway.invalidate('stripe', 'stripe.charge', charge.id);
    const second = results.next();
    stack.gateway.events.changes.publish(payment(charge.id));
    const event = (await second).value?.data?.paymentChanged;
    expect(event?.amountRefunded.minorUnits).toBe('100');
    expect(event?.status).toBe('PARTIALLY_REFUNDED');
    await results.return?.();
  });

  it('sends null for a deleted payment, and hears only its own customer', async () => {
    const [mine] = lookup.chargesOf(customer.id);
    const results = client.subscribe<PaymentChanged>(PAYMENT_CHANGED, { customerId: toGlobalId('Customer', customer.id) });
    const first = results.next();
    await listening(1);
    stack.gateway.events.changes.publish({ ...payment('ch_someone_else'), key: 'cus_someone_else' });
    stack.gateway.events.changes.publish({ ...payment(mine!.id), tenantId: 'another-tenant' });
    stack.gateway.events.changes.publish(payment(mine!.id, { deleted: true }));
    expect((await first).value).toEqual({ data: { paymentChanged: null } });
    await results.return?.();
  });

  it('takes the listener off the hub when the client completes, and when it disconnects', async () => {
    const variables = { customerId: toGlobalId('Customer', customer.id) };
    const completed = client.subscribe(PAYMENT_CHANGED, variables);
    void completed.next();
    const dropped = client.subscribe(PAYMENT_CHANGED, variables);
    void dropped.next();
    await listening(2);
    await completed.return?.();
    await listening(1);
    await client.close();
    await listening(0);
  });

  it('sends customer, CRM contact and deal changes; deals of other contacts are not sent', async () => {
    const customerId = toGlobalId('Customer', customer.id);
    const contactId = customer.externalRefs.hubspot!;
    const deal = lookup.dealsOfContact(contactId)[0]!;
    const otherDeal = stack.dataset.hubspot.deals.find((d) => !lookup.dealsOfContact(contactId).some((own) => own.id === d.id))!;
    const customers = client.subscribe<{ customerChanged: { id: string; email: string } }>('subscription($id: ID!) { customerChanged(id: $id) { id email } }', { id: customerId });
    const contacts = client.subscribe<{ crmContactChanged: { id: string } }>('subscription($id: ID!) { crmContactChanged(customerId: $id) { id } }', { id: customerId });
    const deals = client.subscribe<{ dealChanged: { id: string; name: string | null } }>('subscription($id: ID!) { dealChanged(customerId: $id) { id name } }', { id: customerId });
    const [customerEvent, contactEvent, dealEvent] = [customers.next(), contacts.next(), deals.next()];
    await listening(3);
    const base = { tenantId: TENANT, occurredAt: 0 };
    stack.gateway.events.changes.publish({ ...base, topic: 'customer', key: customer.id });
    stack.gateway.events.changes.publish({ ...base, topic: 'crmContact', key: contactId });
    stack.gateway.events.changes.publish({ ...base, topic: 'deal', key: otherDeal.id });
    stack.gateway.events.changes.publish({ ...base, topic: 'deal', key: deal.id });
    expect((await customerEvent).value?.data?.customerChanged).toEqual({ id: customerId, email: customer.email });
    expect((await contactEvent).value?.data?.crmContactChanged).toEqual({ id: toGlobalId('CrmContact', contactId) });
    expect((await dealEvent).value?.data?.dealChanged).toEqual({ id: toGlobalId('Deal', deal.id), name: deal.properties.dealname ?? null });
    await Promise.all([customers.return?.(), contacts.return?.(), deals.return?.()]);
  });

  it('refuses an unknown customer with NOT_FOUND and subscribes nothing', async () => {
    const result = await client.once(PAYMENT_CHANGED, { customerId: toGlobalId('Customer', 'cust_missing') });
    expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['NOT_FOUND']);
    expect(stack.gateway.events.changes.size).toBe(0);
  });

  it('refuses queries over WebSocket (HTTP serves them) and invalid documents, with the HTTP codes', async () => {
    const query = await client.once('{ customers(first: 1) { edges { node { id } } } }');
    expect(query.errors?.map((e) => e.extensions?.['code'])).toEqual(['OPERATION_NOT_SUPPORTED']);
    const invalid = await client.once('subscription { paymentChanged(customerId: "x") { nope } }');
    expect(invalid.errors?.map((e) => e.extensions?.['code'])).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const badVariable = await client.once(PAYMENT_CHANGED, { customerId: 12.5 });
    expect(badVariable.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
    const twoFields = await client.once('subscription { a: customerChanged(id: "x") { id } b: customerChanged(id: "y") { id } }');
    expect(twoFields.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('applies the document limits of HTTP (depth here)', async () => {
    const deep = 'subscription($id: ID!) { paymentChanged(customerId: $id) { customer { payments { edges { node { customer { payments { edges { node { customer { id } } } } } } } } } } }';
    const result = await client.once(deep, { id: toGlobalId('Customer', customer.id) });
    expect(result.errors?.map((e) => e.extensions?.['code'])).toEqual(['QUERY_TOO_DEEP']);
  });

  it('caps the subscriptions of one connection, and the others go on', async () => {
    const variables = { customerId: toGlobalId('Customer', customer.id) };
    const held = [1, 2, 3].map(() => client.subscribe<PaymentChanged>(PAYMENT_CHANGED, variables));
    const firsts = held.map((results) => results.next());
    await listening(3);
    const refused = await client.once(PAYMENT_CHANGED, variables);
    expect(refused.errors?.map((e) => ({ code: e.extensions?.['code'], max: e.extensions?.['maxSubscriptions'] }))).toEqual([{ code: 'TOO_MANY_SUBSCRIPTIONS', max: 3 }]);
    stack.gateway.events.changes.publish(payment(lookup.chargesOf(customer.id)[0]!.id));
    for (const first of firsts) expect((await first).value?.data?.paymentChanged).not.toBeNull();
    await Promise.all(held.map((results) => results.return?.()));
  });

  it('answers a subscription sent over HTTP with OPERATION_NOT_SUPPORTED', async () => {
    const response = await stack.query(PAYMENT_CHANGED, { customerId: toGlobalId('Customer', customer.id) });
    expect(response.errors?.map((e) => e.extensions?.['code'])).toEqual(['OPERATION_NOT_SUPPORTED']);
    expect(stack.gateway.events.changes.size).toBe(0);
  });

  it('refuses a WebSocket upgrade on any other path', async () => {
    const url = new URL(webSocketUrl(stack.url));
    url.pathname = '/elsewhere';
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const status = await new Promise<number | undefined>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.on('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
    const health = await request(new URL('/healthz', stack.url));
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });
});

async function refund(stack: GatewayStack, chargeId: string, amount: number): Promise<void> {
  const response = await request(new URL('/v1/refunds', stack.simulators.stripe.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.simulators.credentials.stripeSecretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `charge=${chargeId}&amount=${amount}`,
  });
  await response.body.dump();
  if (response.statusCode !== 200) throw new Error(`refund: HTTP ${response.statusCode}`);
}
