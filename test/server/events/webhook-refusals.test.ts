import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup, HUBSPOT_APP_ID, HUBSPOT_PORTAL_ID, type StripeCharge } from '../../../src/simulators/index.ts';
import { countedSince, countsOf, type ProviderEventCounts } from '../../support/event-counts.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { customersDelivery, deliver, eventId, hubspotDelivery, resignStripe, stripeDelivery, webhookUrl, type SignedDelivery } from '../../support/webhook-deliveries.ts';

/** Small enough that a body past it is cheap to send, large enough for any event here. */
const MAX_BYTES = 8192;
const REFUSED = { error: 'invalid webhook signature' };
const TEN_MINUTES = 10 * 60 * 1000;

/**
 * The receivers over real HTTP, in the embedded default: a delivery is stored only when its
 * exact bytes carry a valid, recent signature, and an event is stored (and takes effect) once
 * however often it comes.
 */
describe('webhook receivers', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;
  const counts = (provider: string): ProviderEventCounts => countsOf(stack.gateway.events.counters.snapshot(), provider);
  const url = (provider: string) => webhookUrl(stack.url, provider);
  const handled = () => eventually(async () => (await stack.gateway.events.log.backlog()) === 0);

  beforeAll(async () => {
    stack = await GatewayStack.start({ WEBHOOK_MAX_BYTES: String(MAX_BYTES) });
    lookup = new DatasetLookup(stack.dataset);
  });
  afterAll(() => stack?.close());

  /** Succeeded, unrefunded charges, each of a different customer (so that no two tests share a cached page). */
  const refundable = (): StripeCharge[] => {
    const charges: StripeCharge[] = [];
    for (const customer of stack.dataset.customers) {
      const charge = lookup.chargesOf(customer.id).find((c) => c.status === 'succeeded' && c.amount_refunded === 0 && c.customer);
      if (charge) charges.push(charge);
    }
    return charges;
  };
  /** Stripe's `charge.refunded` for a full refund of `charge`, as the dashboard would send it. */
  const refundEvent = (charge: StripeCharge) => ({
    id: eventId('evt'),
    object: 'event',
    api_version: '2025-02-24.acacia',
    created: Math.floor(Date.now() / 1000),
    type: 'charge.refunded',
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { ...charge, amount_refunded: charge.amount, refunded: true }, previous_attributes: { amount_refunded: 0, refunded: false } },
  });
  const paymentStatus = async (charge: StripeCharge) => {
    const customer = stack.dataset.customers.find((c) => c.externalRefs.stripe === charge.customer)!;
    const body = await stack.query<{ customer: { payments: { edges: Array<{ node: { id: string; status: string } }> } } }>(
      `query($id: ID!) { customer(id: $id) { payments(first: 100) { edges { node { id status } } } } }`,
      { id: toGlobalId('Customer', customer.id) },
    );
    return body.data?.customer.payments.edges.find((edge) => edge.node.id === toGlobalId('Payment', charge.id))?.node.status;
  };

  it('refuses forged, re-keyed, stale, altered and unsigned Stripe deliveries with one and the same 401, and stores none', async () => {
    const secret = stack.simulators.credentials.stripeWebhookSecret;
    const now = Date.now();
    const valid = stripeDelivery(secret, refundEvent(refundable()[0]!), now);
    const oneByteChanged = valid.body.replace('"refunded":true', '"refunded":trUe');
    expect(oneByteChanged.length).toBe(valid.body.length);
    const attempts: Record<string, SignedDelivery> = {
      forged: { body: valid.body, headers: { 'stripe-signature': `t=${Math.floor(now / 1000)},v1=${'ab'.repeat(32)}` } },
      'another secret': stripeDelivery('whsec_notTheEndpointSecretAtAll0000000', JSON.parse(valid.body) as object, now),
      stale: resignStripe(secret, valid.body, now - TEN_MINUTES),
      'from the future': resignStripe(secret, valid.body, now + TEN_MINUTES),
      altered: { body: oneByteChanged, headers: valid.headers },
      unsigned: { body: valid.body, headers: {} },
    };
    const before = counts('stripe');

    const answers = Object.fromEntries(await Promise.all(Object.entries(attempts).map(async ([name, attempt]) => [name, await deliver(url('stripe'), attempt)] as const)));

    for (const answer of Object.values(answers)) expect(answer).toEqual({ status: 401, body: REFUSED });
    expect(await stack.gateway.events.log.backlog()).toBe(0);
    const counted = countedSince(before, counts('stripe'));
    expect(counted).toEqual({
      received: 0, stored: 0, duplicates: 0, unavailable: 0,
      refused: { 'bad-signature': 3, 'stale-timestamp': 2, 'missing-signature': 1 },
      effects: {},
    });
    // The same numbers for operators (the embedded default's anonymous principal has every scope).
    const readyz = (await (await fetch(new URL('/readyz', stack.url))).json()) as { events: { webhooks: Record<string, ProviderEventCounts>; backlog: number } };
    expect(readyz.events.webhooks['stripe']?.refused).toEqual(counts('stripe').refused);
    expect(readyz.events.backlog).toBe(0);
    // The control: the untouched delivery is taken.
    expect(await deliver(url('stripe'), valid)).toEqual({ status: 200, body: { received: 1, duplicates: 0 } });
    await handled();
  });

  it.each([
    ['customers', 'missing-signature'],
    ['customers', 'bad-signature'],
    ['customers', 'stale-timestamp'],
    ['hubspot', 'missing-signature'],
    ['hubspot', 'bad-signature'],
    ['hubspot', 'stale-timestamp'],
  ] as const)('refuses a %s delivery (%s) with the same 401, and takes the same delivery signed properly', async (provider, reason) => {
    const { credentials } = stack.simulators;
    const now = Date.now();
    const sign = (secret: string, at: number): SignedDelivery => {
      if (provider === 'customers') {
        const customer = stack.dataset.customers[5]!;
        return customersDelivery(secret, eventId('msg'), { type: 'customer.updated', timestamp: new Date(at).toISOString(), data: { id: customer.id, etag: '"unknown"', updatedAt: new Date(at).toISOString() } }, at);
      }
      const contact = lookup.contactOf(stack.dataset.customers.find((c) => c.externalRefs.hubspot !== null && lookup.contactOf(c.id))!.id)!;
      const event = {
        eventId: Math.floor(Math.random() * 1e9), subscriptionId: 1, portalId: HUBSPOT_PORTAL_ID, appId: HUBSPOT_APP_ID, occurredAt: at,
        subscriptionType: 'contact.propertyChange', attemptNumber: 0, objectId: Number(contact.id), propertyName: 'lifecyclestage', propertyValue: 'customer', changeSource: 'CRM',
      };
      return hubspotDelivery(secret, url('hubspot'), [event], at);
    };
    const secret = provider === 'customers' ? credentials.customersWebhookSecret : credentials.hubspotClientSecret;
    const other = provider === 'customers' ? 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=' : 'not-the-client-secret';
    const good = sign(secret, now);
    const bad: SignedDelivery =
      reason === 'missing-signature' ? { body: good.body, headers: {} } : reason === 'bad-signature' ? { body: good.body, headers: sign(other, now).headers } : sign(secret, now - TEN_MINUTES);
    const before = counts(provider);

    expect(await deliver(url(provider), bad)).toEqual({ status: 401, body: REFUSED });
    expect(countedSince(before, counts(provider))).toMatchObject({ received: 0, stored: 0, refused: { [reason]: 1 } });
    expect(await stack.gateway.events.log.backlog()).toBe(0);

    expect(await deliver(url(provider), good)).toMatchObject({ status: 200, body: { received: 1, duplicates: 0 } });
    await handled();
  });

  it('answers 413 to a body over WEBHOOK_MAX_BYTES before the rest of it is sent, announced or not', async () => {
    const head = (length: string) => `POST /webhooks/stripe HTTP/1.1\r\nhost: ${new URL(stack.url).host}\r\ncontent-type: application/json\r\n${length}\r\n`;
    const tooMuch = Buffer.alloc(2 * MAX_BYTES, 'x');
    // Announced: 100 times the limit, of which only twice the limit is ever sent.
    const announced = await firstAnswerLine(stack.url, Buffer.concat([Buffer.from(head(`content-length: ${100 * MAX_BYTES}\r\n`)), tooMuch]));
    // Chunked: no length to go by, and the final chunk never comes.
    const chunked = await firstAnswerLine(stack.url, Buffer.concat([Buffer.from(head('transfer-encoding: chunked\r\n')), Buffer.from(`${tooMuch.length.toString(16)}\r\n`), tooMuch, Buffer.from('\r\n')]));

    expect(announced).toMatch(/^HTTP\/1\.1 413 /);
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
    expect(await stack.gateway.events.log.backlog()).toBe(0);
  });

  it('answers 400 to a signed body that is no event, and 404 to a provider it does not know', async () => {
    const before = counts('stripe');
    const signedNonsense = stripeDelivery(stack.simulators.credentials.stripeWebhookSecret, { hello: 'world' }, Date.now());

    expect(await deliver(url('stripe'), signedNonsense)).toEqual({ status: 400, body: { error: 'malformed webhook body' } });
    expect((await deliver(url('paypal'), signedNonsense)).status).toBe(404);
    expect(countedSince(before, counts('stripe'))).toMatchObject({ stored: 0, refused: { malformed: 1 } });
    expect(await stack.gateway.events.log.backlog()).toBe(0);
  });

  it('stores an event delivered five times once, applies it once, and takes a re-signed replay as a duplicate', async () => {
    const charge = refundable()[1]!;
    const secret = stack.simulators.credentials.stripeWebhookSecret;
    expect(await paymentStatus(charge)).toBe('SUCCEEDED'); // cached now: the event applies to it
    const { body } = stripeDelivery(secret, refundEvent(charge), Date.now());
    const before = counts('stripe');

    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await deliver(url('stripe'), resignStripe(secret, body, Date.now())));
    await handled();

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((answer) => (answer.body as { duplicates: number }).duplicates)).toEqual([0, 1, 1, 1, 1]);
    expect(await paymentStatus(charge)).toBe('REFUNDED');
    // The charge and the customer's first page replaced, one change published: once.
    expect(countedSince(before, counts('stripe'))).toEqual({ received: 5, stored: 1, duplicates: 4, unavailable: 0, refused: {}, effects: { applied: 2, published: 1 } });

    // Processed already: the same bytes with a fresh signature (a replay, or Stripe's late retry).
    const replay = await deliver(url('stripe'), resignStripe(secret, body, Date.now() + 60 * 1000));
    await handled();
    expect(replay).toEqual({ status: 200, body: { received: 1, duplicates: 1 } });
    expect(countedSince(before, counts('stripe'))).toMatchObject({ stored: 1, duplicates: 5, effects: { applied: 2, published: 1 } });
  });

  it('stores an event delivered five times at once once, and applies it once', async () => {
    const charge = refundable()[2]!;
    const secret = stack.simulators.credentials.stripeWebhookSecret;
    expect(await paymentStatus(charge)).toBe('SUCCEEDED');
    const { body } = stripeDelivery(secret, refundEvent(charge), Date.now());
    const before = counts('stripe');

    const answers = await Promise.all(Array.from({ length: 5 }, () => deliver(url('stripe'), resignStripe(secret, body, Date.now()))));
    await handled();

    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.reduce((sum, answer) => sum + (answer.body as { duplicates: number }).duplicates, 0)).toBe(4);
    expect(countedSince(before, counts('stripe'))).toEqual({ received: 5, stored: 1, duplicates: 4, unavailable: 0, refused: {}, effects: { applied: 2, published: 1 } });
    expect(await paymentStatus(charge)).toBe('REFUNDED');
  });
});

/** Writes `bytes` on a fresh connection and resolves with the first line the server answers, without sending anything more. */
function firstAnswerLine(graphqlUrl: string, bytes: Buffer): Promise<string> {
  const { hostname, port } = new URL(graphqlUrl);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    let received = '';
    socket.on('error', reject);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (data) => {
      received += data.toString('latin1');
      const end = received.indexOf('\r\n');
      if (end < 0) return;
      socket.destroy();
      resolve(received.slice(0, end));
    });
    socket.on('close', () => reject(new Error(`the connection closed with no answer: ${JSON.stringify(received)}`)));
  });
}
