import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup } from '../../../src/simulators/index.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';

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

  it('refuses a refund without an Idempotency-Key before anything is sent', async () => {
    const answer = await stack.post<RefundAnswer>(REFUND, { id: toGlobalId('Payment', refundable().id) });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('IDEMPOTENCY_KEY_REQUIRED');
    expect((await stack.simStats('stripe')).requests).toBe(0);
  });
});
