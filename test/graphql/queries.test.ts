import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { DatasetLookup } from '../../src/simulators/dataset/dataset-lookup.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

describe('queries against the embedded default', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    stack = await GatewayStack.start();
    lookup = new DatasetLookup(stack.dataset);
  });
  afterAll(() => stack.close());

  const customerWithCharges = () => stack.dataset.customers.find((c) => lookup.chargesOf(c.id).length >= 3)!;

  it('pages through customers with cursors and finds one by email, case-insensitively', async () => {
    const first = await stack.query<{ customers: { edges: Array<{ node: { email: string } }>; pageInfo: { endCursor: string; hasNextPage: boolean } } }>(
      `{ customers(first: 2) { edges { node { email } } pageInfo { endCursor hasNextPage } } }`,
    );
    expect(first.data?.customers.pageInfo.hasNextPage).toBe(true);
    const next = await stack.query<{ customers: { edges: Array<{ node: { email: string } }> } }>(
      `query($after: String) { customers(first: 2, after: $after) { edges { node { email } } } }`,
      { after: first.data?.customers.pageInfo.endCursor },
    );
    expect(next.data?.customers.edges.map((e) => e.node.email)).toEqual(stack.dataset.customers.slice(2, 4).map((c) => c.email));

    const target = stack.dataset.customers[123]!;
    const byEmail = await stack.query<{ customers: { edges: Array<{ node: { id: string } }> } }>(
      `query($email: String) { customers(first: 5, email: $email) { edges { node { id } } } }`,
      { email: target.email.toUpperCase() },
    );
    expect(byEmail.data?.customers.edges.map((e) => e.node.id)).toEqual([toGlobalId('Customer', target.id)]);
  });

  it('resolves every node type by global id, and unknown ids to null', async () => {
    const customer = customerWithCharges();
    const charge = lookup.chargesOf(customer.id)[0]!;
    const contact = stack.dataset.hubspot.contacts[0]!;
    const deal = stack.dataset.hubspot.deals[0]!;
    const ids = [
      toGlobalId('Customer', customer.id),
      toGlobalId('Payment', charge.id),
      toGlobalId('CrmContact', contact.id),
      toGlobalId('Deal', deal.id),
      toGlobalId('Customer', 'cust_nope'),
    ];
    const response = await stack.query<{ nodes: Array<{ __typename: string; id: string } | null> }>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`,
      { ids },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.nodes).toEqual([
      { __typename: 'Customer', id: ids[0] },
      { __typename: 'Payment', id: ids[1] },
      { __typename: 'CrmContact', id: ids[2] },
      { __typename: 'Deal', id: ids[3] },
      null,
    ]);
  });

  it('finds a payment and its customer', async () => {
    const customer = customerWithCharges();
    const charge = lookup.chargesOf(customer.id)[0]!;
    const response = await stack.query<{ payment: { amount: { minorUnits: string }; createdAt: string; customer: { id: string } } }>(
      `query($id: ID!) { payment(id: $id) { amount { minorUnits } createdAt customer { id } } }`,
      { id: toGlobalId('Payment', charge.id) },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.payment).toEqual({
      amount: { minorUnits: String(charge.amount) },
      createdAt: new Date(charge.created * 1000).toISOString(),
      customer: { id: toGlobalId('Customer', customer.id) },
    });
  });

  it('pages payments with cursors and filters them by status', async () => {
    const customer = customerWithCharges();
    const charges = lookup.chargesOf(customer.id);
    const query = `query($id: ID!, $after: String, $status: PaymentStatus) {
      customer(id: $id) { payments(first: 2, after: $after, status: $status) { edges { node { id status } } pageInfo { hasNextPage endCursor } } } }`;
    type Payments = { customer: { payments: { edges: Array<{ node: { id: string; status: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } } };
    const id = toGlobalId('Customer', customer.id);
    const page1 = await stack.query<Payments>(query, { id });
    const page2 = await stack.query<Payments>(query, { id, after: page1.data?.customer.payments.pageInfo.endCursor });
    const seen = [...(page1.data?.customer.payments.edges ?? []), ...(page2.data?.customer.payments.edges ?? [])].map((e) => e.node.id);
    expect(seen).toEqual(charges.slice(0, 4).map((c) => toGlobalId('Payment', c.id)));

    const status = page1.data?.customer.payments.edges[0]?.node.status;
    const filtered = await stack.query<Payments>(query, { id, status });
    expect(filtered.data?.customer.payments.edges.length).toBeGreaterThan(0);
    expect(filtered.data?.customer.payments.edges.every((e) => e.node.status === status)).toBe(true);
  });

  it('pages deals in HubSpot id order with cursors, and tells where each page sits', async () => {
    const customer = stack.dataset.customers.find((c) => {
      const contact = lookup.contactOf(c.id);
      return contact !== undefined && lookup.dealsOfContact(contact.id).length >= 2;
    })!;
    const deals = lookup.dealsOfContact(lookup.contactOf(customer.id)!.id);
    const query = `query($id: ID!, $after: String) {
      customer(id: $id) { deals(first: 1, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
    type Deals = {
      customer: {
        deals: {
          edges: Array<{ cursor: string; node: { id: string } }>;
          pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
        };
      };
    };
    const id = toGlobalId('Customer', customer.id);
    const pages: Deals['customer']['deals'][] = [];
    let after: string | null | undefined;
    do {
      const response = await stack.query<Deals>(query, { id, after });
      expect(response.errors).toBeUndefined();
      const page = response.data!.customer.deals;
      pages.push(page);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
    } while (after && pages.length <= deals.length);

    expect(pages.flatMap((page) => page.edges.map((edge) => edge.node.id))).toEqual(deals.map((deal) => toGlobalId('Deal', deal.id)));
    expect(pages.map((page) => page.pageInfo.hasPreviousPage)).toEqual(deals.map((_, index) => index > 0));
    for (const page of pages) {
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
    }

    const paymentsCursor = await stack.query(
      `query($id: ID!, $after: String) { customer(id: $id) { deals(after: $after) { edges { cursor } } } }`,
      { id, after: Buffer.from('payment:ch_1').toString('base64url') },
    );
    expect(paymentsCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });

  it('answers bad input with BAD_USER_INPUT naming the argument', async () => {
    const tooMany = await stack.query(`{ customers(first: 500) { edges { cursor } } }`);
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const badId = await stack.query(`{ customer(id: "nonsense!") { id } }`);
    expect(badId.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
    const wrongType = await stack.query(`query($id: ID!) { customer(id: $id) { id } }`, { id: toGlobalId('Deal', '1') });
    expect(wrongType.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const badCursor = await stack.query(`{ customers(first: 1, after: "zzz") { edges { cursor } } }`);
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });

  it('serves health and readiness, and the sandbox outside production', async () => {
    const base = new URL(stack.url);
    const healthz = await request(new URL('/healthz', base));
    expect(healthz.statusCode).toBe(200);
    await healthz.body.dump();
    const readyz = await request(new URL('/readyz', base));
    expect(await readyz.body.json()).toMatchObject({ status: 'ready', mode: 'embedded' });
    const landing = await request(stack.url, { headers: { accept: 'text/html' } });
    expect(landing.statusCode).toBe(200);
    expect(await landing.body.text()).toContain('<!DOCTYPE html>');
  });
});
