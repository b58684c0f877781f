import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildDataset, createStripeSimulator, SIM_CREDENTIALS, type SimulatorHandle } from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';

const dataset = buildDataset();
const bearer = { authorization: `Bearer ${SIM_CREDENTIALS.stripeSecretKey}` };
let sim: SimulatorHandle;
let admin: ReturnType<typeof simAdmin>;

beforeAll(async () => {
  sim = await createStripeSimulator({ dataset, extraCredentials: ['sk_live_tenantTwo'] });
  admin = simAdmin(sim.url);
});
afterAll(() => sim.close());
beforeEach(() => admin.reset());

const get = (path: string, headers: Record<string, string> = bearer) => fetch(`${sim.url}${path}`, { headers });
const errorOf = async (response: Response) => ((await response.json()) as { error: Record<string, string> }).error;

describe('Stripe simulator on the wire', () => {
  it('sends request-id, the requested or default stripe-version, no-store and no ETag', async () => {
    const pinned = await get('/v1/customers?limit=1', { ...bearer, 'stripe-version': '2024-06-20' });
    expect(pinned.headers.get('stripe-version')).toBe('2024-06-20');
    expect(pinned.headers.get('request-id')).toMatch(/^req_\w{14}$/);
    expect(pinned.headers.get('cache-control')).toBe('no-cache, no-store');
    expect(pinned.headers.get('etag')).toBeNull();
    expect(await pinned.json()).toMatchObject({ object: 'list', url: '/v1/customers', has_more: true });
    const unpinned = await get('/v1/customers?limit=1');
    expect(unpinned.headers.get('stripe-version')).toBe('2025-02-24.acacia');
  });

  it('refuses a Stripe-Version it does not know with 400 invalid_request_error naming it, before doing anything', async () => {
    const charge = dataset.stripe.charges.find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
    const refund = await fetch(`${sim.url}/v1/refunds`, {
      method: 'POST',
      headers: { ...bearer, 'stripe-version': '2024-06-21', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ charge: charge.id }),
    });
    expect(refund.status).toBe(400);
    expect(await errorOf(refund)).toEqual({ type: 'invalid_request_error', message: 'Invalid Stripe API version: 2024-06-21' });
    const after = (await (await get(`/v1/charges/${charge.id}`)).json()) as { amount_refunded: number };
    expect(after.amount_refunded).toBe(0);
  });

  it('accepts the key as Basic user name and rejects a missing key with 401', async () => {
    const basic = `Basic ${Buffer.from(`${SIM_CREDENTIALS.stripeSecretKey}:`).toString('base64')}`;
    expect((await get('/v1/charges?limit=1', { authorization: basic })).status).toBe(200);
    const anonymous = await get('/v1/charges', {});
    expect(anonymous.status).toBe(401);
    expect(await errorOf(anonymous)).toMatchObject({ type: 'invalid_request_error' });
  });

  it('pages charges with starting_after and ending_before, newest first', async () => {
    const all = dataset.stripe.charges;
    const page = (await (await get(`/v1/charges?limit=3&starting_after=${all[2]!.id}`)).json()) as { data: Array<{ id: string }> };
    expect(page.data.map((c) => c.id)).toEqual(all.slice(3, 6).map((c) => c.id));
    const back = (await (await get(`/v1/charges?limit=2&ending_before=${all[6]!.id}`)).json()) as { data: Array<{ id: string }>; has_more: boolean };
    expect(back.data.map((c) => c.id)).toEqual(all.slice(4, 6).map((c) => c.id));
    expect(back.has_more).toBe(true);
  });

  it('answers 400 invalid_request_error naming the param for bad list parameters', async () => {
    const cases: Array<[string, string]> = [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=x', 'limit'],
      ['colour=red', 'colour'],
      ['starting_after=ch_nope', 'starting_after'],
    ];
    for (const [query, param] of cases) {
      const response = await get(`/v1/charges?${query}`);
      expect(response.status, query).toBe(400);
      expect(await errorOf(response)).toMatchObject({ type: 'invalid_request_error', param });
    }
  });

  it("lists one customer's charges newest first, alone, with another filter or after a cursor, refunds included", async () => {
    const chargesOf = (id: string) => dataset.stripe.charges.filter((c) => c.customer === id);
    const customer = dataset.stripe.customers.find((cus) => chargesOf(cus.id).length >= 3 && chargesOf(cus.id).some((c) => c.status === 'succeeded' && c.amount_refunded === 0))!.id;
    const theirs = chargesOf(customer);
    const list = async (query: string) => (await (await get(`/v1/charges?${query}`)).json()) as { data: Array<{ id: string; refunded: boolean }>; has_more: boolean };
    const ids = async (query: string) => (await list(query)).data.map((c) => c.id);
    expect(await list(`customer=${customer}&limit=100`)).toEqual({ object: 'list', url: '/v1/charges', has_more: false, data: theirs });
    expect((await list(`customer=${customer}&limit=2`)).has_more).toBe(true);
    expect(await ids(`customer=${customer}&starting_after=${theirs[0]!.id}`)).toEqual(theirs.slice(1).map((c) => c.id));
    const intent = theirs[1]!.payment_intent;
    expect(await ids(`customer=${customer}&payment_intent=${intent}`)).toEqual(theirs.filter((c) => c.payment_intent === intent).map((c) => c.id));
    const refundable = theirs.find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
    await fetch(`${sim.url}/v1/refunds`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, body: `charge=${refundable.id}` });
    expect((await list(`customer=${customer}&limit=100`)).data.find((c) => c.id === refundable.id)?.refunded).toBe(true);
  });

  it('returns an empty list, not an error, for an unknown customer filter', async () => {
    const body = (await (await get('/v1/charges?customer=cus_unknown00000000')).json()) as { data: unknown[] };
    expect(body.data).toEqual([]);
  });

  it('limits test keys to 25 requests a second and live keys to 100', async () => {
    // A simulator whose clock stands still: the whole burst falls in one one-second window (on
    // the wall clock a burst could straddle a boundary and be split over two).
    const frozen = await createStripeSimulator({ dataset, extraCredentials: ['sk_live_tenantTwo'], clock: () => 1_700_000_000_000 });
    try {
      const burst = (headers: Record<string, string>, n: number) =>
        Promise.all(Array.from({ length: n }, () => fetch(`${frozen.url}/v1/customers?limit=1`, { headers })));
      const test = await burst(bearer, 30);
      const live = await burst({ authorization: 'Bearer sk_live_tenantTwo' }, 30);
      const limited = test.filter((r) => r.status === 429);
      expect(limited.length).toBe(5);
      expect(live.every((r) => r.status === 200)).toBe(true);
      expect(limited[0]!.headers.get('stripe-rate-limited-reason')).toBe('global-rate');
      expect(limited[0]!.headers.get('stripe-should-retry')).toBe('true');
      expect(await errorOf(limited[0]!)).toMatchObject({ type: 'invalid_request_error', code: 'rate_limit' });
      expect(((await (await fetch(`${frozen.url}/_sim/stats`)).json()) as { rateLimited: number }).rateLimited).toBe(5);
    } finally {
      await frozen.close();
    }
  });

  it('refuses to refund more than is left, a failed charge, or without a charge', async () => {
    const post = (body: string) =>
      fetch(`${sim.url}/v1/refunds`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, body });
    const succeeded = dataset.stripe.charges.find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
    const failed = dataset.stripe.charges.find((c) => c.status === 'failed')!;
    expect(await errorOf(await post(`charge=${succeeded.id}&amount=${succeeded.amount + 1}`))).toMatchObject({ code: 'amount_too_large', param: 'amount' });
    expect(await errorOf(await post(`charge=${failed.id}`))).toMatchObject({ code: 'charge_not_refundable' });
    expect((await post('amount=5')).status).toBe(400);
    const missing = await post('charge=ch_nope');
    expect(await errorOf(missing)).toMatchObject({ code: 'resource_missing', param: 'charge', message: "No such charge: 'ch_nope'" });
  });

  it('forgets refunds on reset', async () => {
    const charge = dataset.stripe.charges.find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
    const refund = await fetch(`${sim.url}/v1/refunds`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'k' },
      body: `charge=${charge.id}`,
    });
    expect(refund.headers.get('idempotency-key')).toBe('k');
    expect(((await (await get(`/v1/charges/${charge.id}`)).json()) as { refunded: boolean }).refunded).toBe(true);
    await admin.reset();
    expect(((await (await get(`/v1/charges/${charge.id}`)).json()) as { refunded: boolean }).refunded).toBe(false);
  });

  it('replays a refund whose response was lost to a truncated body', async () => {
    const charge = dataset.stripe.charges.find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
    const refund = () =>
      fetch(`${sim.url}/v1/refunds`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'lost-answer' },
        body: `charge=${charge.id}&amount=50`,
      });
    await admin.faults({ truncateRate: 1 });
    await expect((await refund()).text()).rejects.toThrow();
    await admin.faults({});
    const retried = await refund();
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(((await (await get(`/v1/charges/${charge.id}`)).json()) as { amount_refunded: number }).amount_refunded).toBe(50);
  });

  it('applies a refund whose socket drops after the work under resetAfterRate, counted as no response, and replays it', async () => {
    const charge = dataset.stripe.charges.find((c) => c.status === 'succeeded' && c.amount_refunded === 0)!;
    const refund = () =>
      fetch(`${sim.url}/v1/refunds`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'reset-after' },
        body: `charge=${charge.id}&amount=70`,
      });
    await admin.faults({ resetAfterRate: 1 });
    await expect(refund()).rejects.toThrow();
    expect((await admin.stats()).byRoute['POST /v1/refunds']).toEqual({ '0': 1 });
    await admin.faults({});
    const refunds = () => get(`/v1/refunds?charge=${charge.id}`).then(async (r) => ((await r.json()) as { data: Array<{ id: string }> }).data);
    const [applied] = await refunds();
    expect(applied).toBeDefined();

    const retried = await refund();
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retried.json()) as { id: string }).id).toBe(applied!.id);
    expect(await refunds()).toHaveLength(1);
    expect(((await (await get(`/v1/charges/${charge.id}`)).json()) as { amount_refunded: number }).amount_refunded).toBe(70);
  });
});
