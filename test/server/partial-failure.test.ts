import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

interface Page {
  customers: {
    edges: Array<{ node: { name: string; payments: unknown; crmContact: unknown; deals: { edges: unknown[] } | null } }>;
  };
}

describe('when one provider fails', () => {
  let stack: GatewayStack;

  // A gateway each: a failure in one test must not leave a circuit open for the next.
  beforeEach(async () => {
    stack = await GatewayStack.start();
  });
  afterEach(() => stack.close());

  it('Stripe in outage: customers and CRM data arrive, payments are null with UPSTREAM_UNAVAILABLE at their paths', async () => {
    await stack.simAdmin('stripe', 'faults', { outage: true });
    const response = await stack.query<Page>(CUSTOMER_360, { first: 50 });
    const edges = response.data?.customers.edges ?? [];
    expect(edges).toHaveLength(50);

    const linked = new Set(
      stack.dataset.customers
        .slice(0, 50)
        .map((c, index) => (c.externalRefs.stripe !== null ? index : -1))
        .filter((index) => index >= 0),
    );
    edges.forEach(({ node }, index) => {
      expect(node.name).toBeTruthy();
      expect(node.deals).not.toBeNull();
      if (linked.has(index)) expect(node.payments).toBeNull();
    });
    expect(edges.some(({ node }) => node.crmContact !== null)).toBe(true);

    const errors = response.errors ?? [];
    expect(errors.map((e) => e.path)).toEqual(expect.arrayContaining([...linked].map((i) => ['customers', 'edges', i, 'node', 'payments'])));
    for (const error of errors) {
      expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', provider: 'stripe' });
      expect(error.path?.at(-1)).toBe('payments');
      expect(JSON.stringify(error)).not.toMatch(/stack|at .*\.ts/);
    }
  });

  it('the customer service unreachable: the customer list is null with an UPSTREAM_UNAVAILABLE error, not a crash', async () => {
    await stack.simAdmin('customers', 'faults', { outage: true });
    const response = await stack.query(CUSTOMER_360, { first: 5 });
    expect(response.data).toEqual({ customers: null });
    expect(response.errors?.[0]?.path).toEqual(['customers']);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', provider: 'customers' });
  });

  it('HubSpot answering garbage: CRM fields fail with UPSTREAM_BAD_RESPONSE, payments still arrive', async () => {
    await stack.simAdmin('hubspot', 'faults', { malformedRate: 1 });
    const response = await stack.query<Page>(CUSTOMER_360, { first: 10 });
    const codes = new Set(response.errors?.map((e) => e.extensions?.['code']));
    expect([...codes]).toEqual(['UPSTREAM_BAD_RESPONSE']);
    expect(response.data?.customers.edges.some(({ node }) => node.payments !== null)).toBe(true);
  });
});
