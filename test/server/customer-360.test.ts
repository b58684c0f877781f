import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatasetLookup } from '../../src/simulators/dataset/dataset-lookup.ts';
import { fromGlobalId } from '../../src/model/global-id.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

interface Page {
  customers: {
    edges: Array<{
      node: {
        id: string;
        email: string;
        payments: { edges: Array<{ node: { id: string; amount: { amount: string; minorUnits: string; currency: string }; status: string } }> } | null;
        crmContact: { id: string; email: string | null } | null;
        deals: { edges: Array<{ node: { id: string; name: string | null } }> } | null;
      };
    }>;
  };
}

const rawId = (globalId: string) => fromGlobalId(globalId).id;

describe('the Customer 360 page (50 customers with payments, CRM contact and deals)', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    stack = await GatewayStack.start();
    lookup = new DatasetLookup(stack.dataset);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetAll());

  it('returns every customer with data from all three providers, as the providers hold it', async () => {
    const response = await stack.query<Page>(CUSTOMER_360, { first: 50 });
    expect(response.errors).toBeUndefined();
    const edges = response.data?.customers.edges ?? [];
    expect(edges).toHaveLength(50);
    const expected = stack.dataset.customers.slice(0, 50);
    let withPayments = 0;
    let withContact = 0;
    let withDeals = 0;
    edges.forEach(({ node }, index) => {
      const record = expected[index]!;
      expect(rawId(node.id)).toBe(record.id);
      expect(node.email).toBe(record.email);

      const charges = lookup.chargesOf(record.id).slice(0, 5);
      expect(node.payments?.edges.map((e) => rawId(e.node.id))).toEqual(charges.map((c) => c.id));
      node.payments?.edges.forEach((e, i) => {
        expect(e.node.amount.minorUnits).toBe(String(charges[i]!.amount));
        expect(e.node.amount.currency).toBe(charges[i]!.currency.toUpperCase());
      });
      if (charges.length > 0) withPayments += 1;

      const contact = record.externalRefs.hubspot !== null ? lookup.contactOf(record.id) : lookup.contactByEmail(record.email);
      expect(node.crmContact === null ? null : rawId(node.crmContact.id)).toBe(contact?.id ?? null);
      if (contact) withContact += 1;

      const deals = contact ? lookup.dealsOfContact(contact.id) : [];
      expect(node.deals?.edges.map((e) => rawId(e.node.id))).toEqual(deals.map((d) => d.id));
      if (deals.length > 0) withDeals += 1;
    });
    // The page really exercises all three providers.
    expect(withPayments).toBeGreaterThan(25);
    expect(withContact).toBeGreaterThan(25);
    expect(withDeals).toBeGreaterThan(10);
  });

  it('costs 1 customer-service call, at most 4 HubSpot calls and 1 Stripe call per linked customer', async () => {
    const response = await stack.query<Page>(CUSTOMER_360, { first: 50 });
    expect(response.errors).toBeUndefined();
    const linkedToStripe = stack.dataset.customers.slice(0, 50).filter((c) => c.externalRefs.stripe !== null).length;
    const [customers, stripe, hubspot] = await Promise.all([stack.simStats('customers'), stack.simStats('stripe'), stack.simStats('hubspot')]);

    expect(customers.requests).toBe(1);
    expect(hubspot.requests).toBeLessThanOrEqual(4);
    expect(stripe.requests).toBe(linkedToStripe);
    expect(stripe.rateLimited + hubspot.rateLimited + customers.rateLimited).toBe(0);

    // The upstream report tells the client the same numbers the providers counted.
    const report = response.extensions?.upstream;
    expect(report?.customers.calls).toBe(customers.requests);
    expect(report?.stripe.calls).toBe(stripe.requests);
    expect(report?.hubspot.calls).toBe(hubspot.requests);
  });

  it('links customers without a HubSpot ref by email, and dangling refs to nothing', async () => {
    const { hubspotByEmailOnly, danglingHubspotRefs, danglingStripeRefs } = stack.dataset.anomalies;
    const ids = [hubspotByEmailOnly[0], danglingHubspotRefs[0], danglingStripeRefs[0]];
    const response = await stack.query<{ nodes: Array<{ crmContact: { email: string } | null; payments: { edges: unknown[] } } | null> }>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { crmContact { email } payments { edges { cursor } } } } }`,
      { ids: ids.map((id) => Buffer.from(`Customer:${id}`).toString('base64url')) },
    );
    expect(response.errors).toBeUndefined();
    const [byEmail, danglingHubspot, danglingStripe] = response.data?.nodes ?? [];
    expect(byEmail?.crmContact?.email).toBe(lookup.customer(ids[0]!)?.email);
    expect(danglingHubspot?.crmContact).toBeNull();
    expect(danglingStripe?.payments.edges).toEqual([]);
  });
});
