import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup } from '../../../src/simulators/index.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';

const STATUS = `query($id: ID!) { writeStatus(id: $id) { state attempts error { code message } payload { ... on RefundPaymentPayload { status refund { amount { amount } } } } } }`;
type Status = { writeStatus: { state: string; attempts: number; error: { code: string; message: string } | null; payload: { status: string; refund: { amount: { amount: string } } } | null } | null };

/**
 * A queued write whose provider stays down runs out of attempts: it is FAILED (ATTEMPTS_EXHAUSTED)
 * and waits as a dead letter at /admin/writes/dead-letters, where a replay sends it again.
 */
describe('deferred writes that run out of attempts', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    // Embedded default: the anonymous principal holds every scope, ops:write included.
    stack = await GatewayStack.start({ WRITES_MAX_ATTEMPTS: '3', WRITES_RETRY_BASE_MS: '1', WRITES_RETRY_MAX_MS: '5', BREAKER_HALF_OPEN_AFTER_MS: '10', RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '5' });
    lookup = new DatasetLookup(stack.dataset);
  });
  afterAll(() => stack?.close());

  const admin = async (method: 'GET' | 'POST', path: string) => {
    const response = await request(new URL(path, stack.url), { method });
    const text = await response.body.text();
    return { status: response.statusCode, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  };
  const refundsOf = async (chargeId: string) => {
    const response = await request(new URL(`/v1/refunds?charge=${chargeId}`, stack.simulators.stripe.url), { headers: { authorization: `Bearer ${stack.simulators.credentials.stripeSecretKey}` } });
    return ((await response.body.json()) as { data: unknown[] }).data.length;
  };

  it('gives up after WRITES_MAX_ATTEMPTS, says so in writeStatus without internals, and sends it once when replayed', async () => {
    const charge = stack.dataset.customers.flatMap((c) => lookup.chargesOf(c.id)).find((c) => c.status === 'succeeded' && c.amount_refunded === 0 && c.currency === 'usd' && c.amount > 1000)!;
    await stack.simAdmin('stripe', 'faults', { outage: true });
    const queued = await stack.post<{ refundPayment: { status: string; operationId: string } }>(
      `mutation($id: ID!) { refundPayment(input: { paymentId: $id, amount: { amount: "4.00", currency: "USD" } }, allowDeferred: true) { status operationId } }`,
      { id: toGlobalId('Payment', charge.id) },
      { 'idempotency-key': 'k-dead' },
    );
    const { operationId } = queued.body.data!.refundPayment;
    expect(queued.body.data!.refundPayment.status).toBe('QUEUED');

    await eventually(async () => (await stack.gateway.writes.queue.deadLetters.count()) === 1, 1000);
    const failed = (await stack.query<Status>(STATUS, { id: operationId })).data!.writeStatus!;
    // The request's own attempt, then the queue's three.
    expect(failed).toMatchObject({ state: 'FAILED', attempts: 4, error: { code: 'ATTEMPTS_EXHAUSTED' }, payload: null });
    expect(failed.error!.message).not.toMatch(/HTTP|127\.0\.0\.1|ECONN/);

    const listed = await admin('GET', '/admin/writes/dead-letters');
    const letters = (listed.body as { deadLetters: Array<{ entryId: string; event: { id: string; type: string } }> }).deadLetters;
    expect(letters).toEqual([expect.objectContaining({ event: expect.objectContaining({ id: operationId, type: 'refundPayment' }) })]);
    // The events' dead letters are another queue.
    expect(((await admin('GET', '/admin/events/dead-letters')).body as { deadLetters: unknown[] }).deadLetters).toEqual([]);

    await stack.simAdmin('stripe', 'faults', {});
    expect((await admin('POST', `/admin/writes/dead-letters/${letters[0]!.entryId}/replay`)).status).toBe(202);
    await eventually(async () => (await stack.query<Status>(STATUS, { id: operationId })).data?.writeStatus?.state === 'SUCCEEDED', 1000);
    expect((await stack.query<Status>(STATUS, { id: operationId })).data!.writeStatus!.payload).toEqual({ status: 'SUCCEEDED', refund: { amount: { amount: '4.00' } } });
    expect(await refundsOf(charge.id)).toBe(1);
    expect(await stack.gateway.writes.queue.deadLetters.count()).toBe(0);
  });
});
