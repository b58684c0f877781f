import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup, startSimulators, type SimulatorSet, type StripeCharge } from '../../../src/simulators/index.ts';
import { countedSince, countsOf, sumCounts } from '../../support/event-counts.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { SubscriptionClient } from '../subscriptions/subscription-client.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';
import { dropKeysWith } from '../../support/redis-cleanup.ts';
import { deliver, eventId, mutate, resignStripe, stripeDelivery, webhookUrl } from '../../support/webhook-deliveries.ts';

const redisUp = await redisForTests();

/** Two gateways on one Redis in front of one set of simulators: what one instance receives, both answer. */
describe.skipIf(!redisUp)('two instances on one Redis', () => {
  const prefix = uniquePrefix('events-2x');
  let simulators: SimulatorSet;
  let a: GatewayStack;
  let b: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    simulators = await startSimulators();
    lookup = new DatasetLookup(simulators.dataset);
    const env = {
      REDIS_URL,
      CACHE_KEY_PREFIX: prefix,
      STRIPE_WEBHOOK_SECRETS: simulators.credentials.stripeWebhookSecret,
      HUBSPOT_WEBHOOK_SECRETS: simulators.credentials.hubspotClientSecret,
      CUSTOMERS_WEBHOOK_SECRETS: simulators.credentials.customersWebhookSecret,
    };
    a = await GatewayStack.startRemote(simulators, env);
    b = await GatewayStack.startRemote(simulators, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await simulators?.close();
    await dropKeysWith(prefix);
  });

  const refundable = (skip: number): StripeCharge => {
    const charges = simulators.dataset.customers.flatMap((customer) => lookup.chargesOf(customer.id).filter((c) => c.status === 'succeeded' && c.amount_refunded === 0).slice(0, 1));
    return charges[skip]!;
  };
  const statusOn = async (stack: GatewayStack, charge: StripeCharge) => {
    const customer = simulators.dataset.customers.find((c) => c.externalRefs.stripe === charge.customer)!;
    const body = await stack.query<{ customer: { payments: { edges: Array<{ node: { id: string; status: string } }> } } }>(
      `query($id: ID!) { customer(id: $id) { payments(first: 100) { edges { node { id status } } } } }`,
      { id: toGlobalId('Customer', customer.id) },
    );
    return body.data?.customer.payments.edges.find((edge) => edge.node.id === toGlobalId('Payment', charge.id))?.node.status;
  };
  const handled = () => eventually(async () => (await a.gateway.events.log.backlog()) === 0);
  const stripeCounts = () => sumCounts(countsOf(a.gateway.events.counters.snapshot(), 'stripe'), countsOf(b.gateway.events.counters.snapshot(), 'stripe'));

  it('answers on instance B a refund whose webhook reached only instance A, as REFUNDED and with no Stripe call', async () => {
    const charge = refundable(0);
    // Both instances hold the charge in process now (A fetched it, B read A's copy from Redis).
    expect(await statusOn(a, charge)).toBe('SUCCEEDED');
    expect(await statusOn(b, charge)).toBe('SUCCEEDED');
    const stripeCalls = (await a.simStats('stripe')).requests;
    simulators.stripe.webhooks.configure([{ url: webhookUrl(a.url, 'stripe') }]);
    // A dashboard connected to B hears of it too.
    const listener = new SubscriptionClient(b.url);
    const owner = simulators.dataset.customers.find((c) => c.externalRefs.stripe === charge.customer)!;
    const subscriberOnB = listener
      .subscribe<{ paymentChanged: { id: string; status: string } }>(`subscription($id: ID!) { paymentChanged(customerId: $id) { id status } }`, { id: toGlobalId('Customer', owner.id) })
      .next();
    await eventually(async () => b.gateway.events.changes.size > 0);

    await mutate(simulators.stripe.url, { action: 'refund', charge: charge.id });
    await simulators.stripe.webhooks.settled();
    await handled();

    expect(simulators.stripe.webhooks.deliveries().every((delivery) => delivery.delivered && delivery.url.startsWith(new URL(a.url).origin))).toBe(true);
    expect(countsOf(b.gateway.events.counters.snapshot(), 'stripe').received).toBe(0);
    const heard = await subscriberOnB;
    expect(heard.value?.data?.paymentChanged).toEqual({ id: toGlobalId('Payment', charge.id), status: 'REFUNDED' });
    await listener.close();
    // B drops its own copy when the bus message arrives; until then it may still answer from it.
    await eventually(async () => (await statusOn(b, charge)) === 'REFUNDED');
    expect(await statusOn(a, charge)).toBe('REFUNDED');
    expect((await a.simStats('stripe')).requests).toBe(stripeCalls);
    simulators.stripe.webhooks.configure([]);
  });

  it('stores and applies once an event delivered five times to each instance at once', async () => {
    const charge = refundable(1);
    expect(await statusOn(a, charge)).toBe('SUCCEEDED');
    expect(await statusOn(b, charge)).toBe('SUCCEEDED');
    const secret = simulators.credentials.stripeWebhookSecret;
    const event = {
      id: eventId('evt'), object: 'event', api_version: '2025-02-24.acacia', created: Math.floor(Date.now() / 1000), type: 'charge.refunded', livemode: false,
      pending_webhooks: 1, request: { id: null, idempotency_key: null },
      data: { object: { ...charge, amount_refunded: charge.amount, refunded: true }, previous_attributes: { amount_refunded: 0, refunded: false } },
    };
    const { body } = stripeDelivery(secret, event, Date.now());
    const before = stripeCounts();

    const answers = await Promise.all(
      [a, b, a, b, a, b, a, b, a, b].map((stack) => deliver(webhookUrl(stack.url, 'stripe'), resignStripe(secret, body, Date.now()))),
    );
    await handled();

    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.reduce((sum, answer) => sum + (answer.body as { duplicates: number }).duplicates, 0)).toBe(9);
    const counted = countedSince(before, stripeCounts());
    expect(counted).toMatchObject({ received: 10, stored: 1, duplicates: 9 });
    // Handled by whichever instance read it first, once: the charge and the page applied, one change published.
    expect(counted.effects).toEqual({ applied: 2, published: 1 });
    await eventually(async () => (await statusOn(a, charge)) === 'REFUNDED' && (await statusOn(b, charge)) === 'REFUNDED');
  });

  it('answers on instance B a customer-service change handled by instance A, with A\'s one read and none more', async () => {
    const customer = simulators.dataset.customers[7]!;
    const emailOn = async (stack: GatewayStack) =>
      (await stack.query<{ customer: { email: string } }>(`query($id: ID!) { customer(id: $id) { email } }`, { id: toGlobalId('Customer', customer.id) })).data?.customer.email;
    expect(await emailOn(a)).toBe(customer.email);
    expect(await emailOn(b)).toBe(customer.email);
    simulators.customers.webhooks.configure([{ url: webhookUrl(a.url, 'customers') }]);
    const before = (await a.simStats('customers')).requests;

    await mutate(simulators.customers.url, { action: 'updateCustomer', id: customer.id, email: 'moved-2x@example.com' });
    await simulators.customers.webhooks.settled();
    await handled();

    await eventually(async () => (await emailOn(b)) === 'moved-2x@example.com');
    expect(await emailOn(a)).toBe('moved-2x@example.com');
    // The refresh's write is kept in Redis (it supersedes, it does not follow an invalidation).
    expect((await a.simStats('customers')).requests).toBe(before + 1);
    simulators.customers.webhooks.configure([]);
  });
});
