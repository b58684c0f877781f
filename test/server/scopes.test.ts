import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { apiKeysFile, bearer } from '../support/auth.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

const SUPPORT_KEY = 'trib_test_support_no_payments_41d2';
const FINANCE_KEY = 'trib_test_finance_no_crm_8a7e';
const OPS_KEY = 'trib_test_ops_only_c03f';

const PAGE = /* GraphQL */ `
  {
    customers(first: 3) {
      edges { node { id name payments(first: 2) { edges { node { id } } } crmContact { email } deals(first: 1) { edges { node { id } } } } }
    }
  }
`;

interface Page {
  customers: { edges: Array<{ node: { id: string; name: string; payments: unknown; crmContact: unknown; deals: unknown } }> } | null;
}

describe('scopes', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start({
      API_KEYS_FILE: apiKeysFile([
        { key: SUPPORT_KEY, client: 'support-desk', tenant: 'sample', scopes: ['customers:read', 'crm:read'] },
        { key: FINANCE_KEY, client: 'finance', tenant: 'sample', scopes: ['customers:read', 'payments:read'] },
        { key: OPS_KEY, client: 'oncall', tenant: 'sample', scopes: ['ops:read'] },
      ]),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('nulls only the fields a missing scope covers, each with FORBIDDEN at its path, and calls no provider for them', async () => {
    await stack.resetAll();
    const response = await stack.query<Page>(PAGE, {}, bearer(SUPPORT_KEY));
    const edges = response.data?.customers?.edges ?? [];
    expect(edges).toHaveLength(3);
    for (const { node } of edges) {
      expect(node.name).toEqual(expect.any(String));
      expect(node.payments).toBeNull();
      expect(node.deals).not.toBeNull();
    }
    expect(response.errors?.map((e) => [e.path, e.extensions])).toEqual(
      [0, 1, 2].map((i) => [['customers', 'edges', i, 'node', 'payments'], { code: 'FORBIDDEN', scope: 'payments:read' }]),
    );
    expect((await stack.simStats('stripe')).requests).toBe(0);

    await stack.resetAll();
    const finance = await stack.query<Page>(PAGE, {}, bearer(FINANCE_KEY));
    expect(finance.data?.customers?.edges.every(({ node }) => node.payments !== null && node.crmContact === null && node.deals === null)).toBe(true);
    expect(new Set(finance.errors?.map((e) => e.extensions?.['scope']))).toEqual(new Set(['crm:read']));
    expect((await stack.simStats('hubspot')).requests).toBe(0);
  });

  it('checks the scope of what node() and nodes() would return before loading it', async () => {
    await stack.resetAll();
    const charge = stack.dataset.stripe.charges[0]!;
    const customer = stack.dataset.customers[0]!;
    const response = await stack.query<{ nodes: Array<{ id: string } | null> }>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
      { ids: [toGlobalId('Payment', charge.id), toGlobalId('Customer', customer.id)] },
      bearer(SUPPORT_KEY),
    );
    expect(response.data?.nodes).toEqual([null, { id: toGlobalId('Customer', customer.id) }]);
    expect(response.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['nodes', 0], 'FORBIDDEN']]);
    expect((await stack.simStats('stripe')).requests).toBe(0);
  });

  it('keeps answers for principals with different scopes apart in the result cache', async () => {
    const asFinance = await stack.query<Page>(PAGE, {}, bearer(FINANCE_KEY));
    const asSupport = await stack.query<Page>(PAGE, {}, bearer(SUPPORT_KEY));
    expect(asFinance.data?.customers?.edges[0]?.node.payments).not.toBeNull();
    expect(asSupport.data?.customers?.edges[0]?.node.payments).toBeNull();
  });

  it('shows /readyz details only to a principal with ops:read', async () => {
    const readyz = async (headers: Record<string, string>) => (await (await fetch(new URL('/readyz', stack.url), { headers })).json()) as Record<string, unknown>;
    expect(await readyz({})).toEqual({ status: 'ready' });
    expect(await readyz(bearer(SUPPORT_KEY))).toEqual({ status: 'ready' });
    expect(await readyz(bearer(OPS_KEY))).toMatchObject({ status: 'ready', mode: 'embedded', tenants: { sample: { breakers: expect.any(Object) } } });
    const denied = await stack.query<Page>(PAGE, {}, bearer(OPS_KEY));
    expect(denied.data).toEqual({ customers: null });
    expect(denied.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', scope: 'customers:read' });
  });
});
