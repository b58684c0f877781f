import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup } from '../../../src/simulators/index.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { QUICK_WRITES } from '../../support/quick-writes.ts';
import { SubscriptionClient } from '../subscriptions/subscription-client.ts';

const REFUND = `mutation($id: ID!, $amount: MoneyInput) {
  refundPayment(input: { paymentId: $id, amount: $amount }) {
    status operationId
    refund { id amount { amount currency } status }
    payment { id status amountRefunded { amount } }
    userErrors { code field }
  }
}`;

interface RefundAnswer {
  refundPayment: {
    status: string;
    operationId: string | null;
    refund: { id: string; amount: { amount: string; currency: string } } | null;
    payment: { id: string; status: string; amountRefunded: { amount: string } } | null;
    userErrors: Array<{ code: string; field: string[] | null }>;
  } | null;
}

/** Refunds through the embedded default: the Stripe simulator counts what the gateway sent. */
describe('refundPayment', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    stack = await GatewayStack.start();
    lookup = new DatasetLookup(stack.dataset);
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.resetAll());

  const refundable = (skip = 0) => {
    const charges = stack.dataset.customers.flatMap((c) => lookup.chargesOf(c.id)).filter((c) => c.status === 'succeeded' && c.amount_refunded === 0 && c.currency === 'usd' && c.amount > 2000);
    return charges[skip]!;
  };
  const refundsPosted = async () => (await stack.simStats('stripe')).byRoute['POST /v1/refunds'] ?? {};
  const refundsOf = async (chargeId: string) => {
    const response = await request(new URL(`/v1/refunds?charge=${chargeId}`, stack.simulators.stripe.url), { headers: { authorization: `Bearer ${stack.simulators.credentials.stripeSecretKey}` } });
    return ((await response.body.json()) as { data: unknown[] }).data.length;
  };

  it('refunds once and answers the refund and the payment as it now stands', async () => {
    const charge = refundable();
    const answer = await stack.post<RefundAnswer>(REFUND, { id: toGlobalId('Payment', charge.id), amount: { amount: '10.00', currency: 'USD' } }, { 'idempotency-key': 'k-once' });
    expect(answer.status).toBe(200);
    const payload = answer.body.data!.refundPayment!;
    expect(payload).toMatchObject({ status: 'SUCCEEDED', operationId: null, userErrors: [], refund: { amount: { amount: '10.00', currency: 'USD' } } });
    expect(payload.payment).toEqual({ id: toGlobalId('Payment', charge.id), status: 'PARTIALLY_REFUNDED', amountRefunded: { amount: '10.00' } });
    expect(await refundsOf(charge.id)).toBe(1);
  });

  it('leaves no stale copy: the customer\'s payments, cached before the refund, show it on the next query', async () => {
    const charge = refundable(1);
    const customer = stack.dataset.customers.find((c) => lookup.chargesOf(c.id).some((x) => x.id === charge.id))!;
    const PAYMENTS = 'query($id: ID!) { customer(id: $id) { payments(first: 100) { edges { node { id status } } } } }';
    type Payments = { customer: { payments: { edges: Array<{ node: { id: string; status: string } }> } } };
    const statusOf = async () => (await stack.query<Payments>(PAYMENTS, { id: toGlobalId('Customer', customer.id) })).data!.customer.payments.edges.find((e) => e.node.id === toGlobalId('Payment', charge.id))?.node.status;
    expect(await statusOf()).toBe('SUCCEEDED');
    await stack.post<RefundAnswer>(REFUND, { id: toGlobalId('Payment', charge.id), amount: null }, { 'idempotency-key': 'k-fresh' });
    expect(await statusOf()).toBe('REFUNDED');
  });

  it('refuses a refund without an Idempotency-Key before anything is sent', async () => {
    const answer = await stack.post<RefundAnswer>(REFUND, { id: toGlobalId('Payment', refundable().id) });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('IDEMPOTENCY_KEY_REQUIRED');
    expect((await stack.simStats('stripe')).requests).toBe(0);
  });

  it('refuses a refund breaking two rules with the missing key first, as before the plugins were made synchronous', async () => {
    const answer = await stack.post<RefundAnswer>(REFUND, { id: 'x'.repeat(2_000) });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['IDEMPOTENCY_KEY_REQUIRED']);
  });
});

describe('refundPayment, its keys and its failures', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    stack = await GatewayStack.start(QUICK_WRITES);
    lookup = new DatasetLookup(stack.dataset);
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.resetAll();
  });

  const charges = () => stack.dataset.customers.flatMap((c) => lookup.chargesOf(c.id)).filter((c) => c.status === 'succeeded' && c.amount_refunded === 0 && c.currency === 'usd' && c.amount > 2000);
  const stripeRequests = async () => (await stack.simStats('stripe')).requests;
  const refundsOf = async (chargeId: string) => {
    const response = await request(new URL(`/v1/refunds?charge=${chargeId}`, stack.simulators.stripe.url), { headers: { authorization: `Bearer ${stack.simulators.credentials.stripeSecretKey}` } });
    return ((await response.body.json()) as { data: Array<{ amount: number }> }).data;
  };
  const refund = (chargeId: string, amount: string | null, headers: Record<string, string>, extra = '') =>
    stack.post<RefundAnswer>(REFUND.replace('amount: $amount }', `amount: $amount }${extra}`), { id: toGlobalId('Payment', chargeId), amount: amount === null ? null : { amount, currency: 'USD' } }, headers);

  it('replays a repeat of the same request with no upstream call, and refuses the key with another amount (422)', async () => {
    const charge = charges()[0]!;
    const first = await refund(charge.id, '5.00', { 'idempotency-key': 'k-replay' });
    expect(first.body.data?.refundPayment?.status).toBe('SUCCEEDED');
    const before = await stripeRequests();

    const again = await refund(charge.id, '5.00', { 'idempotency-key': 'k-replay' });
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data).toEqual(first.body.data);
    const other = await refund(charge.id, '6.00', { 'idempotency-key': 'k-replay' });
    expect(other.status).toBe(422);
    expect(other.body.errors?.[0]?.extensions?.['code']).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await stripeRequests()).toBe(before);
    expect(await refundsOf(charge.id)).toHaveLength(1);
  });

  it('takes the key as an argument too, and refuses a header and an argument that differ', async () => {
    const charge = charges()[1]!;
    const byArgument = await refund(charge.id, '5.00', {}, ', idempotencyKey: "k-arg"');
    expect(byArgument.body.data?.refundPayment?.status).toBe('SUCCEEDED');
    const replayed = await refund(charge.id, '5.00', {}, ', idempotencyKey: "k-arg"');
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    const both = await refund(charge.id, '5.00', { 'idempotency-key': 'k-other' }, ', idempotencyKey: "k-arg"');
    // A request error answered in application/json: 200, as GraphQL over HTTP asks; the code says it was refused.
    expect(both.status).toBe(200);
    expect(both.body.data).toBeUndefined();
    expect(both.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(await refundsOf(charge.id)).toHaveLength(1);
  });

  it('sends the refund again with the same key when the answer was lost, and Stripe still holds one refund', async () => {
    const charge = charges()[2]!;
    // The charge cached first, so the next Stripe request is the refund itself.
    await stack.query('query($id: ID!) { payment(id: $id) { id } }', { id: toGlobalId('Payment', charge.id) });
    await stack.simAdmin('stripe', 'faults', { resetAfterNext: 1 });

    const answer = await refund(charge.id, '7.00', { 'idempotency-key': 'k-reset' });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.refundPayment).toMatchObject({ status: 'SUCCEEDED', payment: { status: 'PARTIALLY_REFUNDED', amountRefunded: { amount: '7.00' } } });
    const posted = (await stack.simStats('stripe')).byRoute['POST /v1/refunds'];
    expect(posted).toEqual({ '0': 1, '200': 1 }); // the lost answer, then Stripe's replay of it
    expect(await refundsOf(charge.id)).toEqual([expect.objectContaining({ amount: 700 })]);
  });

  it('answers business refusals in userErrors, before any call when the input alone says so', async () => {
    const charge = charges()[3]!;
    const tooMuch = await refund(charge.id, String(charge.amount), { 'idempotency-key': 'k-big' });
    expect(tooMuch.body.data?.refundPayment).toMatchObject({ status: 'FAILED', refund: null, userErrors: [{ code: 'AMOUNT_TOO_LARGE', field: ['input', 'amount'] }] });
    const before = await stripeRequests();
    const badAmount = await refund(charge.id, '1.001', { 'idempotency-key': 'k-digits' });
    expect(badAmount.body.data?.refundPayment?.userErrors).toEqual([{ code: 'INVALID_AMOUNT', field: ['input', 'amount'] }]);
    expect(await stripeRequests()).toBe(before);
    const euro = await stack.post<RefundAnswer>(REFUND, { id: toGlobalId('Payment', charge.id), amount: { amount: '1.00', currency: 'EUR' } }, { 'idempotency-key': 'k-eur' });
    expect(euro.body.data?.refundPayment?.userErrors).toEqual([{ code: 'CURRENCY_MISMATCH', field: ['input', 'amount', 'currency'] }]);
    expect(await refundsOf(charge.id)).toHaveLength(0);
  });

  it('makes two refunds for two aliased mutations of one request (each its own upstream key)', async () => {
    const [a, b] = [charges()[4]!, charges()[5]!];
    const answer = await stack.post<Record<string, { status: string }>>(
      `mutation($a: ID!, $b: ID!) {
        first: refundPayment(input: { paymentId: $a, amount: { amount: "1.00", currency: "USD" } }) { status }
        second: refundPayment(input: { paymentId: $b, amount: { amount: "1.00", currency: "USD" } }) { status }
      }`,
      { a: toGlobalId('Payment', a.id), b: toGlobalId('Payment', b.id) },
      { 'idempotency-key': 'k-two' },
    );
    expect(answer.body.data).toEqual({ first: { status: 'SUCCEEDED' }, second: { status: 'SUCCEEDED' } });
    expect(await refundsOf(a.id)).toHaveLength(1);
    expect(await refundsOf(b.id)).toHaveLength(1);
  });

  it('queues a refund while Stripe is down (allowDeferred) and sends it once Stripe is back', async () => {
    const charge = charges()[6]!;
    await stack.simAdmin('stripe', 'faults', { outage: true });
    const queued = await refund(charge.id, '3.00', { 'idempotency-key': 'k-queued' }, ', allowDeferred: true');
    const payload = queued.body.data?.refundPayment;
    expect(payload).toMatchObject({ status: 'QUEUED', refund: null, payment: null, userErrors: [] });
    expect(payload?.operationId).toMatch(/^[0-9a-f-]{36}$/);
    // Without allowDeferred the same outage is an error: nobody is surprised by a queued write.
    const refused = await refund(charges()[7]!.id, '3.00', { 'idempotency-key': 'k-not-queued' });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');

    const STATUS = `query($id: ID!) { writeStatus(id: $id) { id mutation state attempts payload { ... on RefundPaymentPayload { status refund { amount { amount } } payment { status } } } error { code } } }`;
    type Status = { writeStatus: { state: string; mutation: string; payload: { status: string; refund: { amount: { amount: string } }; payment: { status: string } } | null } | null };
    expect((await stack.query<Status>(STATUS, { id: payload!.operationId })).data?.writeStatus).toMatchObject({ mutation: 'refundPayment', state: 'QUEUED', payload: null });

    // A subscriber hears the one event of its end (listening before the outage is lifted).
    const client = new SubscriptionClient(stack.gateway.url);
    const listening = stack.gateway.events.changes.size;
    const events = client.subscribe<{ writeStatusChanged: { state: string } }>('subscription($id: ID!) { writeStatusChanged(id: $id) { state } }', { id: payload!.operationId });
    const heard = events.next();
    await eventually(async () => stack.gateway.events.changes.size > listening);

    await stack.simAdmin('stripe', 'faults', { outage: false });
    expect((await heard).value?.data?.writeStatusChanged).toEqual({ state: 'SUCCEEDED' });
    expect((await events.next()).done).toBe(true);
    await client.close();
    await eventually(async () => (await stack.query<Status>(STATUS, { id: payload!.operationId })).data?.writeStatus?.state === 'SUCCEEDED', 2000);
    const done = (await stack.query<Status>(STATUS, { id: payload!.operationId })).data!.writeStatus!;
    expect(done.payload).toEqual({ status: 'SUCCEEDED', refund: { amount: { amount: '3.00' } }, payment: { status: 'PARTIALLY_REFUNDED' } });
    expect(await refundsOf(charge.id)).toEqual([expect.objectContaining({ amount: 300 })]);
    // The client's own retry replays QUEUED (the first answer), and sends nothing.
    const before = await stripeRequests();
    expect((await refund(charge.id, '3.00', { 'idempotency-key': 'k-queued' }, ', allowDeferred: true')).body.data?.refundPayment?.operationId).toBe(payload!.operationId);
    expect(await stripeRequests()).toBe(before);
  });
});
