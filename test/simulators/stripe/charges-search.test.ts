import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildDataset, createStripeSimulator, DatasetLookup, SIM_CREDENTIALS, type SimulatorHandle } from '../../../src/simulators/index.ts';
import { simAdmin } from '../sim-admin.ts';

const dataset = buildDataset();
const lookup = new DatasetLookup(dataset);
const API_VERSION = '2025-02-24.acacia' as typeof Stripe.API_VERSION;
const LAG_MS = 30_000;
let now = Date.UTC(2026, 0, 1);
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;

function client(): Stripe {
  const { hostname, port } = new URL(sim.url);
  return new Stripe(SIM_CREDENTIALS.stripeSecretKey, { host: hostname, port, protocol: 'http', apiVersion: API_VERSION, maxNetworkRetries: 0 });
}

/** Stripe customers with at least one charge, and their charges newest first. */
const withCharges = dataset.customers
  .map((customer) => ({ stripeId: customer.externalRefs.stripe, charges: lookup.chargesOf(customer.id) }))
  .filter((c): c is { stripeId: string; charges: typeof c.charges } => c.stripeId !== null && c.charges.length > 0);

const orQuery = (ids: readonly string[]) => ids.map((id) => `customer:'${id}'`).join(' OR ');

beforeAll(async () => {
  sim = await createStripeSimulator({ dataset, clock: () => now, searchLagMs: LAG_MS });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(async () => {
  now += 60_000; // a fresh rate-limit window for every test
  await admin.reset();
});

describe('GET /v1/charges/search through the official stripe SDK', () => {
  it('answers customer clauses joined with OR, newest first, as a search_result', async () => {
    const some = withCharges.slice(0, 3);
    const result = await client().charges.search({ query: orQuery(some.map((c) => c.stripeId)), limit: 100 });
    expect(result.object).toBe('search_result');
    expect(result.url).toBe('/v1/charges/search');
    const expected = some.flatMap((c) => c.charges).sort((a, b) => b.created - a.created);
    expect(new Set(result.data.map((charge) => charge.id))).toEqual(new Set(expected.map((charge) => charge.id)));
    const created = result.data.map((charge) => charge.created);
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(result.has_more).toBe(false);
    expect(result.next_page).toBeNull();
  });

  it('pages with next_page until has_more is false, and the SDK auto-paginates', async () => {
    const some = withCharges.slice(0, 10);
    const total = some.reduce((sum, c) => sum + c.charges.length, 0);
    const first = await client().charges.search({ query: orQuery(some.map((c) => c.stripeId)), limit: 3 });
    expect(first.data).toHaveLength(3);
    expect(first.has_more).toBe(true);
    expect(first.next_page).toEqual(expect.any(String));
    const all = await client().charges.search({ query: orQuery(some.map((c) => c.stripeId)), limit: 3 }).autoPagingToArray({ limit: 10_000 });
    expect(all).toHaveLength(total);
    expect(new Set(all.map((charge) => charge.id)).size).toBe(total);
  });

  it('matches AND clauses, negation, numeric comparisons and total_count', async () => {
    const [{ stripeId, charges }] = withCharges as [(typeof withCharges)[number]];
    const amount = charges[0]!.amount;
    const result = await client().charges.search({ query: `customer:"${stripeId}" AND amount>=${amount} -status:'failed'`, expand: ['total_count'] });
    const expected = charges.filter((c) => c.amount >= amount && c.status !== 'failed');
    expect(result.data.map((c) => c.id).sort()).toEqual(expected.map((c) => c.id).sort());
    expect(result.total_count).toBe(expected.length);
  });

  it.each([
    ['AND and OR mixed', "customer:'cus_a' OR customer:'cus_b' AND status:'succeeded'"],
    ['eleven clauses', orQuery(Array.from({ length: 11 }, (_, i) => `cus_${i}`))],
    ['an unknown field', "colour:'blue'"],
    ['a comparison on a string field', "customer>'cus_a'"],
    ['no clause at all', '   '],
  ])('refuses %s with Stripe 400 naming query', async (_name, query) => {
    const error = await client().charges.search({ query }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((error as Stripe.errors.StripeInvalidRequestError).statusCode).toBe(400);
    expect((error as Stripe.errors.StripeInvalidRequestError).param).toBe('query');
  });

  it('refuses a limit outside 1..100 and an unknown page token', async () => {
    for (const params of [{ limit: 0 }, { limit: 101 }, { page: 'nonsense' }]) {
      const error = await client().charges.search({ query: "status:'succeeded'", ...params }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    }
  });

  it('searches a refunded charge in its old state until the lag has passed; lists show it at once', async () => {
    const { stripeId, charges } = withCharges.find((c) => c.charges.some((ch) => ch.status === 'succeeded' && ch.amount_refunded === 0))!;
    const charge = charges.find((ch) => ch.status === 'succeeded' && ch.amount_refunded === 0)!;
    await client().refunds.create({ charge: charge.id });
    const searched = async () => (await client().charges.search({ query: `customer:'${stripeId}'`, limit: 100 })).data.find((c) => c.id === charge.id);
    expect((await client().charges.list({ customer: stripeId, limit: 100 })).data.find((c) => c.id === charge.id)?.refunded).toBe(true);
    expect((await searched())?.refunded).toBe(false);
    now += LAG_MS - 1;
    expect((await searched())?.refunded).toBe(false);
    now += 1;
    expect((await searched())?.refunded).toBe(true);
  });

  it('holds search to 20 requests a second, counted against the basic 25 too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const response = await fetch(`${sim.url}/v1/charges/search?query=${encodeURIComponent("status:'succeeded'")}&limit=1`, {
        headers: { authorization: `Bearer ${SIM_CREDENTIALS.stripeSecretKey}` },
      });
      statuses.push(response.status);
      if (response.status === 429) expect(response.headers.get('stripe-rate-limited-reason')).toBe('endpoint-rate');
    }
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
    // 21 of the basic 25 are spent: four list calls remain in this second.
    const lists = await Promise.all(
      Array.from({ length: 5 }, () => fetch(`${sim.url}/v1/charges?limit=1`, { headers: { authorization: `Bearer ${SIM_CREDENTIALS.stripeSecretKey}` } })),
    );
    expect(lists.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 429]);
  });
});
