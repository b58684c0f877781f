import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack, type GraphQLResponse } from '../support/gateway-stack.ts';

// A replay's report is the zero report: no calls, no cache hits. An answer that ran counts its hits.
const replayed = (response: GraphQLResponse) => {
  const upstream = response.extensions?.upstream;
  return upstream !== undefined && (['customers', 'stripe', 'hubspot'] as const).every((p) => upstream[p].calls === 0 && upstream[p].cacheHits === 0);
};

describe('kept answers built again before they expire (refresh-ahead)', () => {
  let simulators: SimulatorSet;
  let stack: GatewayStack;
  let now = Date.now();
  beforeAll(async () => {
    // Simulators of its own, which send no webhooks: a change at a provider reaches the gateway only by a fetch.
    simulators = await startSimulators();
    stack = await GatewayStack.startRemote(simulators, {}, () => now);
  });
  afterAll(async () => {
    await stack?.close();
    await simulators?.close();
  });

  // Stripe's charge lists are fresh for 30 s (the shortest ttl here), the customer for 60 s: the
  // answer is kept 30 s and built again when a replay comes in its last 5 s (a sixth of 30).
  const query = `query($id: ID!) { customer(id: $id) { name payments(first: 3) { edges { node { id amount { amount currency } status } } } } }`;
  const customers = () => stack.dataset.customers.filter((c) => c.externalRefs.stripe !== null);
  const idOf = (n: number) => toGlobalId('Customer', customers()[n]!.id);
  const refreshes = async (outcome: string) => {
    const metric = (await stack.gateway.metrics!.registry.getMetricsAsJSON()).find((m) => m.name === 'tributary_result_cache_refreshes_total');
    return metric?.values.find((value) => value.labels['outcome'] === outcome)?.value ?? 0;
  };
  const requests = async () => ({ customers: (await stack.simStats('customers')).requests, stripe: (await stack.simStats('stripe')).requests });

  it('replays a hot answer past the moment it would have expired, refreshing only what was due', async () => {
    await stack.resetAll();
    now += 1;
    const first = await stack.query(query, { id: idOf(0) });
    expect(first.errors).toBeUndefined();
    expect(replayed(await stack.query(query, { id: idOf(0) }))).toBe(true);

    now += 24_000; // 6 s left: not due yet
    expect(replayed(await stack.query(query, { id: idOf(0) }))).toBe(true);
    await stack.gateway.answersRefreshed();
    const notDue = await requests();

    now += 2_000; // 4 s left: this replay asks for the answer to be built again
    const keptBefore = await refreshes('kept');
    const due = await stack.query(query, { id: idOf(0) });
    expect(replayed(due)).toBe(true);
    expect(due.data).toEqual(first.data);
    await stack.gateway.answersRefreshed();
    const refreshed = await requests();
    // The charge list (4 s left of 30) was fetched again; the customer (34 s left of 60) was not.
    expect(refreshed.stripe - notDue.stripe).toBe(1);
    expect(refreshed.customers - notDue.customers).toBe(0);
    expect(await refreshes('kept')).toBe(keptBefore + 1);

    now += 10_000; // 6 s past the first answer's end: the refreshed one answers
    const later = await stack.query(query, { id: idOf(0) });
    expect(replayed(later)).toBe(true);
    expect(later.data).toEqual(first.data);
    expect(await requests()).toEqual(refreshed);
  });

  it('lets an answer nobody replays in its last seconds expire, and runs it again after', async () => {
    await stack.resetAll();
    now += 1;
    const first = await stack.query(query, { id: idOf(1) });
    now += 31_000;
    const after = await stack.query(query, { id: idOf(1) });
    expect(replayed(after)).toBe(false); // it ran: served the stale charge list while it is refreshed (swr)
    expect(after.data).toEqual(first.data);
  });

  it('keeps what a refresh builds from the provider\'s current data', async () => {
    await stack.resetAll();
    now += 1;
    // A customer one of whose three newest charges can be refunded.
    const n = customers().findIndex((c) => stack.dataset.stripe.charges.filter((ch) => ch.customer === c.externalRefs.stripe).slice(0, 3).some((ch) => ch.status === 'succeeded' && !ch.refunded));
    const charge = stack.dataset.stripe.charges.filter((ch) => ch.customer === customers()[n]!.externalRefs.stripe).slice(0, 3).find((ch) => ch.status === 'succeeded' && !ch.refunded)!;
    const first = await stack.query(query, { id: idOf(n) });
    expect(JSON.stringify(first.data)).toContain(toGlobalId('Payment', charge.id));
    // Refunded at Stripe with no event reaching the gateway: only a fetch can see it.
    const refund = await request(new URL('/v1/refunds', simulators.stripe.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${simulators.credentials.stripeSecretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `charge=${charge.id}`,
    });
    await refund.body.dump();
    expect(refund.statusCode).toBe(200);
    now += 26_000;
    expect(replayed(await stack.query(query, { id: idOf(n) }))).toBe(true);
    await stack.gateway.answersRefreshed();
    now += 1;
    const refreshed = await stack.query(query, { id: idOf(n) });
    expect(replayed(refreshed)).toBe(true);
    const status = (refreshed.data as { customer: { payments: { edges: Array<{ node: { id: string; status: string } }> } } }).customer.payments.edges.find((edge) => edge.node.id === toGlobalId('Payment', charge.id))!.node.status;
    expect(status).toBe('REFUNDED');
  });

  it('does not keep a refresh that met a failing provider: the old answer stays until it expires, then the query runs', async () => {
    await stack.resetAll();
    now += 1;
    const first = await stack.query(query, { id: idOf(3) });
    await stack.simAdmin('stripe', 'faults', { outage: true });
    try {
      now += 26_000;
      const droppedBefore = await refreshes('dropped');
      expect(replayed(await stack.query(query, { id: idOf(3) }))).toBe(true);
      await stack.gateway.answersRefreshed();
      expect(await refreshes('dropped')).toBe(droppedBefore + 1);
      now += 1;
      const stillKept = await stack.query(query, { id: idOf(3) });
      expect(replayed(stillKept)).toBe(true);
      expect(stillKept.data).toEqual(first.data);
    } finally {
      await stack.simAdmin('stripe', 'reset');
    }
    now += 5_000; // past the first answer's end
    const ran = await stack.query(query, { id: idOf(3) });
    expect(replayed(ran)).toBe(false);
    expect(ran.data).toEqual(first.data);
  });
});
