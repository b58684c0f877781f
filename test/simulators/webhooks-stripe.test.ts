import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDataset,
  createStripeSimulator,
  SIM_CREDENTIALS,
  signStripe,
  type SimulatorHandle,
  type StripeEvent,
} from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';
import { header, startReceiver, type ReceivedWebhook, type WebhookReceiver } from './webhook-receiver.ts';

const dataset = buildDataset();
const API_VERSION = '2025-02-24.acacia' as typeof Stripe.API_VERSION;
const verifier = new Stripe(SIM_CREDENTIALS.stripeSecretKey);
// Near the real time, since the SDK checks signatures against it (300 s tolerance); tests move it.
let now = Date.now();
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;
let receiver: WebhookReceiver;

function client(): Stripe {
  const { hostname, port } = new URL(sim.url);
  return new Stripe(SIM_CREDENTIALS.stripeSecretKey, { host: hostname, port, protocol: 'http', apiVersion: API_VERSION, maxNetworkRetries: 0 });
}

/** Checked the way a Stripe integration checks it: the official SDK on the raw body. */
function verified(webhook: ReceivedWebhook, secret: string = SIM_CREDENTIALS.stripeWebhookSecret): StripeEvent {
  return verifier.webhooks.constructEvent(webhook.rawBody, header(webhook, 'stripe-signature'), secret) as unknown as StripeEvent;
}

/** A succeeded, unrefunded charge; `skip` picks another one. */
function refundableCharge(skip = 0) {
  const charge = dataset.stripe.charges.filter((c) => c.status === 'succeeded' && c.amount_refunded === 0 && c.amount > 1)[skip];
  if (!charge) throw new Error('no refundable charge');
  return charge;
}

beforeAll(async () => {
  sim = await createStripeSimulator({ dataset, clock: () => now });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(async () => {
  await admin.reset();
  receiver = await startReceiver();
  sim.webhooks.configure([{ url: `${receiver.url}/webhooks/stripe` }], [1, 1]);
});
afterEach(() => receiver.close());

describe('Stripe simulator webhooks', () => {
  it('announces a refund made through the API as charge.refunded and refund.created, verified by the stripe SDK', async () => {
    const charge = refundableCharge();
    const refund = await client().refunds.create({ charge: charge.id }, { idempotencyKey: 'refund-hook-1' });
    await sim.webhooks.settled();

    expect(receiver.received).toHaveLength(2);
    const events = receiver.received.map((webhook) => verified(webhook));
    const refunded = events.find((event) => event.type === 'charge.refunded');
    const created = events.find((event) => event.type === 'refund.created');
    expect(refunded).toMatchObject({
      object: 'event',
      api_version: '2025-02-24.acacia',
      livemode: false,
      pending_webhooks: 1,
      request: { id: refund.lastResponse.requestId, idempotency_key: 'refund-hook-1' },
      data: {
        object: { id: charge.id, object: 'charge', amount_refunded: charge.amount, refunded: true },
        previous_attributes: { amount_refunded: 0, refunded: false },
      },
    });
    expect(refunded?.id).toMatch(/^evt_/);
    expect(created?.data.object).toMatchObject({ id: refund.id, object: 'refund', amount: charge.amount, charge: charge.id });
    expect(created?.id).not.toBe(refunded?.id);
    expect(receiver.received[0]?.headers['content-type']).toBe('application/json');
    expect(receiver.received[0]?.path).toBe('/webhooks/stripe');

    expect(await client().charges.retrieve(charge.id)).toMatchObject({ refunded: true, amount_refunded: charge.amount });
  });

  it('announces nothing again when the refund is replayed under its idempotency key', async () => {
    const charge = refundableCharge();
    await client().refunds.create({ charge: charge.id, amount: 1 }, { idempotencyKey: 'refund-hook-2' });
    await client().refunds.create({ charge: charge.id, amount: 1 }, { idempotencyKey: 'refund-hook-2' });
    await sim.webhooks.settled();
    expect(receiver.received.map((webhook) => verified(webhook).type).sort()).toEqual(['charge.refunded', 'refund.created']);
  });

  it('announces a dashboard refund from /_sim/mutate, listing only the attributes that changed', async () => {
    const charge = refundableCharge(1);
    const response = await admin.mutate({ action: 'refund', charge: charge.id, amount: 1 });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: 'refund', amount: 1, charge: charge.id });
    await sim.webhooks.settled();

    const refunded = receiver.received.map((webhook) => verified(webhook)).find((event) => event.type === 'charge.refunded');
    expect(refunded?.request).toEqual({ id: null, idempotency_key: null });
    expect(refunded?.data.previous_attributes).toEqual({ amount_refunded: 0 });
    expect(refunded?.data.object).toMatchObject({ amount_refunded: 1, refunded: false });
    expect((await client().charges.retrieve(charge.id)).amount_refunded).toBe(1);
  });

  it('answers a bad mutation in Stripe’s error format and announces nothing', async () => {
    const missing = await admin.mutate({ action: 'refund', charge: 'ch_doesnotexist' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'resource_missing', param: 'charge' } });
    const unknown = await admin.mutate({ action: 'capture', charge: refundableCharge().id });
    expect(unknown.status).toBe(400);
    await sim.webhooks.settled();
    expect(receiver.received).toEqual([]);
  });

  it('retries a failed delivery with the same event and body and a fresh signature each time', async () => {
    let refundedAttempts = 0;
    receiver.respond = (webhook) => {
      now += 1000;
      return verified(webhook).type === 'charge.refunded' && ++refundedAttempts <= 2 ? 500 : 200;
    };
    await admin.mutate({ action: 'refund', charge: refundableCharge().id });
    await sim.webhooks.settled();

    const refunded = receiver.received.filter((webhook) => verified(webhook).type === 'charge.refunded');
    expect(refunded).toHaveLength(3);
    expect(new Set(refunded.map((webhook) => webhook.rawBody)).size).toBe(1);
    expect(new Set(refunded.map((webhook) => header(webhook, 'stripe-signature'))).size).toBe(3);
    const deliveries = sim.webhooks.deliveries().filter((delivery) => delivery.types[0] === 'charge.refunded');
    expect(deliveries).toEqual([
      { id: verified(refunded[0]!).id, url: `${receiver.url}/webhooks/stripe`, types: ['charge.refunded'], attempts: 3, lastStatus: 200, delivered: true, pending: false },
    ]);
  });

  it('signs for an endpoint with its own secret, and signStripe forges what the simulator sends', async () => {
    const secret = 'whsec_anotherEndpointSecret';
    sim.webhooks.configure([{ url: receiver.url, secret }]);
    await admin.mutate({ action: 'refund', charge: refundableCharge().id });
    await sim.webhooks.settled();
    const webhook = receiver.received[0]!;
    expect(verified(webhook, secret).object).toBe('event');
    expect(() => verified(webhook)).toThrow(Stripe.errors.StripeSignatureVerificationError);

    const timestamp = Number(/t=(\d+)/.exec(header(webhook, 'stripe-signature'))?.[1]);
    expect(signStripe(secret, timestamp, webhook.rawBody)).toEqual({ 'stripe-signature': header(webhook, 'stripe-signature') });
  });
});
