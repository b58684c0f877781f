import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDataset,
  createStripeSimulator,
  DatasetLookup,
  SIM_CREDENTIALS,
  type SimulatorHandle,
} from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';

const dataset = buildDataset();
const lookup = new DatasetLookup(dataset);
// The SDK's types only name its newest API version; the gateway pins this one (see the SDK's
// StripeConfig.apiVersion doc comment for exactly this cast).
const API_VERSION = '2025-02-24.acacia' as typeof Stripe.API_VERSION;
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;

function client(key: string = SIM_CREDENTIALS.stripeSecretKey): Stripe {
  const { hostname, port } = new URL(sim.url);
  return new Stripe(key, { host: hostname, port, protocol: 'http', apiVersion: API_VERSION, maxNetworkRetries: 0 });
}

beforeAll(async () => {
  sim = await createStripeSimulator({ dataset });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(() => admin.reset());

/** A customer whose Stripe customer has at least `n` charges, the newest succeeded and unrefunded. */
function customerWithCharges(n: number) {
  const customer = dataset.customers.find((c) => {
    const charges = lookup.chargesOf(c.id);
    return charges.length >= n && charges[0]?.status === 'succeeded' && charges[0].amount_refunded === 0;
  });
  if (!customer) throw new Error(`no customer with ${n} charges`);
  return { customer, charges: lookup.chargesOf(customer.id) };
}

describe('Stripe simulator through the official stripe SDK', () => {
  it('auto-paginates every customer, newest first', async () => {
    const customers = await client().customers.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    expect(customers.map((c) => c.id)).toEqual(dataset.stripe.customers.map((c) => c.id));
  });

  it("auto-paginates one customer's charges and retrieves one, echoing the pinned version", async () => {
    const { customer, charges } = customerWithCharges(4);
    const stripe = client();
    const listed = await stripe.charges.list({ customer: customer.externalRefs.stripe!, limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(listed.map((c) => c.id)).toEqual(charges.map((c) => c.id));

    const charge = await stripe.charges.retrieve(charges[0]!.id);
    expect(charge).toMatchObject({ id: charges[0]!.id, object: 'charge', amount: charges[0]!.amount, livemode: false });
    expect(charge.lastResponse.headers['stripe-version']).toBe('2025-02-24.acacia');
    expect(charge.lastResponse.requestId).toMatch(/^req_/);
    const intents = await stripe.paymentIntents.list({ customer: customer.externalRefs.stripe! });
    expect(intents.data.map((p) => p.latest_charge)).toEqual(charges.map((c) => c.id));
  });

  it('finds a customer by email with search', async () => {
    const target = dataset.stripe.customers[17]!;
    const result = await client().customers.search({ query: `email:'${target.email}'` });
    expect(result.data.map((c) => c.id)).toEqual([target.id]);
    expect(result.has_more).toBe(false);
  });

  it('creates a refund once per idempotency key and rejects the key with other parameters', async () => {
    const { charges } = customerWithCharges(1);
    const charge = charges[0]!;
    const stripe = client();
    const first = await stripe.refunds.create({ charge: charge.id, amount: 100, reason: 'requested_by_customer' }, { idempotencyKey: 'refund-1' });
    expect(first).toMatchObject({ object: 'refund', amount: 100, charge: charge.id, status: 'succeeded' });
    const replay = await stripe.refunds.create({ charge: charge.id, amount: 100, reason: 'requested_by_customer' }, { idempotencyKey: 'refund-1' });
    expect(replay.id).toBe(first.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.charges.retrieve(charge.id)).amount_refunded).toBe(100);

    const conflict = stripe.refunds.create({ charge: charge.id, amount: 200 }, { idempotencyKey: 'refund-1' });
    await expect(conflict).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);

    const rest = await stripe.refunds.create({ payment_intent: charge.payment_intent }, { idempotencyKey: 'refund-2' });
    expect(rest.amount).toBe(charge.amount - 100);
    expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: charge.amount, refunded: true });
  });

  it('applies a refund whose answer is lost under resetAfterRate, and replays that same refund for the same key', async () => {
    const { charges } = customerWithCharges(1);
    const charge = charges[0]!;
    const stripe = client();
    await admin.faults({ resetAfterRate: 1 });
    const lost = await stripe.refunds.create({ charge: charge.id, amount: 150 }, { idempotencyKey: 'refund-lost' }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    // stripe-node retries a closed connection once even with maxNetworkRetries 0 (stripe-node#1040):
    // the retry carries the same key, so it was replayed, and its answer was lost as well.
    expect((await admin.stats()).byRoute['POST /v1/refunds']).toEqual({ '0': 2 });

    await admin.faults({});
    const applied = await stripe.refunds.list({ charge: charge.id });
    expect(applied.data.map((r) => r.amount)).toEqual([150]);
    const replay = await stripe.refunds.create({ charge: charge.id, amount: 150 }, { idempotencyKey: 'refund-lost' });
    expect(replay.id).toBe(applied.data[0]!.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.refunds.list({ charge: charge.id })).data).toHaveLength(1);
    expect((await stripe.charges.retrieve(charge.id)).amount_refunded).toBe(150);
  });

  it('raises StripeInvalidRequestError resource_missing for a missing object', async () => {
    const error = await client().charges.retrieve('ch_doesnotexist').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ code: 'resource_missing', statusCode: 404, message: "No such charge: 'ch_doesnotexist'" });
  });

  it('answers the version the SDK pins by default, and raises StripeInvalidRequestError for an unknown one', async () => {
    const { hostname, port } = new URL(sim.url);
    const unpinned = new Stripe(SIM_CREDENTIALS.stripeSecretKey, { host: hostname, port, protocol: 'http', maxNetworkRetries: 0 });
    const listed = await unpinned.customers.list({ limit: 1 });
    expect(listed.lastResponse.headers['stripe-version']).toBe(Stripe.API_VERSION);

    const unknown = '2025-02-30.acacia' as typeof Stripe.API_VERSION;
    const wrong = new Stripe(SIM_CREDENTIALS.stripeSecretKey, { host: hostname, port, protocol: 'http', apiVersion: unknown, maxNetworkRetries: 0 });
    const error = await wrong.customers.list({ limit: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, message: `Invalid Stripe API version: ${unknown}` });
  });

  it('raises StripeAuthenticationError for an unknown key', async () => {
    const error = await client('sk_test_notAKnownKey').customers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((error as Error).message).not.toContain('sk_test_notAKnownKey');
  });

  it('raises StripeRateLimitError once the key is over its budget', async () => {
    await admin.faults({ rateLimit: { limit: 1, windowMs: 60_000 } });
    const stripe = client();
    await stripe.customers.list({ limit: 1 });
    const error = await stripe.customers.list({ limit: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(error).toMatchObject({ code: 'rate_limit', statusCode: 429 });
    expect((error as Stripe.errors.StripeError).headers?.['stripe-rate-limited-reason']).toBe('global-rate');
  });
});
