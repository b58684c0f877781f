import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { startSimulators, type SimulatorSet } from '../../../src/simulators/index.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../../support/queries.ts';
import { simAdmin } from '../../simulators/sim-admin.ts';

interface Page {
  customers: { edges: Array<{ node: { id: string; payments: { edges: Array<{ node: { id: string; status: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } }> };
}

const PAYMENTS_OF = /* GraphQL */ `
  query Payments($id: ID!) { customer(id: $id) { payments(first: 100) { edges { node { id status } } } } }
`;

let sims: SimulatorSet;
let list: GatewayStack;
let search: GatewayStack;

beforeAll(async () => {
  sims = await startSimulators();
  list = await GatewayStack.startRemote(sims);
  search = await GatewayStack.startRemote(sims, { STRIPE_CHARGES_READ: 'search' });
});
afterAll(async () => {
  await search?.close();
  await list?.close();
  await sims?.close();
});

async function stripeRoutes(): Promise<Record<string, number>> {
  const stats = await simAdmin(sims.stripe.url).stats();
  return Object.fromEntries(Object.entries(stats.byRoute).map(([route, statuses]) => [route, Object.values(statuses).reduce((a, b) => a + b, 0)]));
}

describe('STRIPE_CHARGES_READ=search', () => {
  it('answers the Customer 360 page exactly as lists do, with one search per ten linked customers', async () => {
    await list.resetAll();
    await search.gateway.flushCache();
    const byList = await list.query<Page>(CUSTOMER_360, { first: 50 });
    const listRoutes = await stripeRoutes();
    await list.resetAll();
    const bySearch = await search.query<Page>(CUSTOMER_360, { first: 50 });
    const searchRoutes = await stripeRoutes();

    expect(bySearch.errors).toBeUndefined();
    expect(bySearch.data).toEqual(byList.data);
    const linked = sims.dataset.customers.slice(0, 50).filter((c) => c.externalRefs.stripe !== null).length;
    expect(listRoutes['GET /v1/charges']).toBe(linked);
    expect(searchRoutes['GET /v1/charges/search']).toBe(Math.ceil(linked / 10));
    expect(searchRoutes['GET /v1/charges'] ?? 0).toBe(0);
  });

  it('may show a charge refunded in the dashboard in its old state until search has indexed it; lists show it at once', async () => {
    await list.resetAll();
    await search.gateway.flushCache();
    const customer = sims.dataset.customers.find((c) => c.externalRefs.stripe !== null && sims.dataset.stripe.charges.some((ch) => ch.customer === c.externalRefs.stripe && ch.status === 'succeeded' && ch.amount_refunded === 0))!;
    const target = sims.dataset.stripe.charges.find((ch) => ch.customer === customer.externalRefs.stripe && ch.status === 'succeeded' && ch.amount_refunded === 0)!;
    expect((await simAdmin(sims.stripe.url).mutate({ action: 'refund', charge: target.id })).status).toBe(200);

    const id = Buffer.from(`Customer:${customer.id}`).toString('base64url');
    const statusOf = async (stack: GatewayStack) => {
      const answer = await stack.query<{ customer: { payments: { edges: Array<{ node: { id: string; status: string } }> } } }>(PAYMENTS_OF, { id });
      return answer.data!.customer.payments.edges.find((edge) => decode(edge.node.id) === target.id)?.node.status;
    };
    expect(await statusOf(list)).toBe('REFUNDED');
    // The simulator indexes changes for search 5 s late (Stripe: "under 1 minute").
    expect(await statusOf(search)).toBe('SUCCEEDED');
  });
});

describe('STRIPE_CHARGES_READ', () => {
  it('defaults to list, takes search, and refuses anything else naming the variable', () => {
    expect(loadConfig({}).stripeChargesRead).toBe('list');
    expect(loadConfig({ STRIPE_CHARGES_READ: 'search' }).stripeChargesRead).toBe('search');
    expect(() => loadConfig({ STRIPE_CHARGES_READ: 'events' })).toThrow(/STRIPE_CHARGES_READ/);
  });
});

function decode(globalId: string): string {
  return Buffer.from(globalId, 'base64url').toString('utf8').replace(/^Payment:/, '');
}
