import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/model/global-id.ts';
import { DatasetLookup } from '../../src/simulators/dataset/dataset-lookup.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

const DEALS_OF_CUSTOMERS = /* GraphQL */ `
  query($first: Int!) {
    customers(first: $first) { edges { node { id deals(first: 10) { edges { node { id } } pageInfo { hasNextPage } } } } }
  }
`;

interface Page {
  customers: { edges: Array<{ node: { id: string; deals: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean } } } }> };
}

const ASSOCIATIONS_BATCH = 'POST /crm/v4/associations/contacts/deals/batch/read';
const rawId = (globalId: string) => fromGlobalId(globalId).id;

describe('deals of a contact whose associations HubSpot pages', () => {
  let stack: GatewayStack;
  let lookup: DatasetLookup;

  beforeAll(async () => {
    stack = await GatewayStack.start();
    lookup = new DatasetLookup(stack.dataset);
  });
  afterAll(() => stack.close());
  beforeEach(async () => {
    await stack.resetAll();
    await stack.simAdmin('hubspot', 'faults', { associationPageSize: 1 });
  });

  it('returns every deal, following each contact\'s pages in one batch call per round', async () => {
    const response = await stack.query<Page>(DEALS_OF_CUSTOMERS, { first: 50 });
    expect(response.errors).toBeUndefined();

    let paged = 0;
    for (const { node } of response.data?.customers.edges ?? []) {
      const record = lookup.customer(rawId(node.id))!;
      const contact = record.externalRefs.hubspot !== null ? lookup.contactOf(record.id) : lookup.contactByEmail(record.email);
      const deals = contact ? lookup.dealsOfContact(contact.id).map((d) => d.id) : [];
      expect(node.deals.edges.map((e) => rawId(e.node.id))).toEqual(deals);
      expect(node.deals.pageInfo.hasNextPage).toBe(false);
      if (deals.length > 1) paged += 1;
    }
    // Several contacts need a second page: they must share one follow-up call, not one each.
    expect(paged).toBeGreaterThan(1);

    const hubspot = await stack.simStats('hubspot');
    const batches = Object.values(hubspot.byRoute[ASSOCIATIONS_BATCH] ?? {}).reduce((sum, n) => sum + n, 0);
    // At most two deals per contact at one association per page: the first page, then one more.
    expect(batches).toBe(2);
    expect(response.extensions?.upstream?.hubspot.calls).toBe(hubspot.requests);
  });

  it('caches the whole list, so another query over the same contacts reads no association again', async () => {
    await stack.query<Page>(DEALS_OF_CUSTOMERS, { first: 50 });
    const before = await stack.simStats('hubspot');
    // A different selection, so the whole-answer cache cannot replay the first.
    const again = await stack.query<{ customers: { edges: Array<{ node: { id: string; deals: { edges: Array<{ node: { id: string; name: string | null } }> } } }> } }>(
      '{ customers(first: 50) { edges { node { id deals(first: 10) { edges { node { id name } } } } } } }',
    );
    expect(again.errors).toBeUndefined();
    for (const { node } of again.data?.customers.edges ?? []) {
      const record = lookup.customer(rawId(node.id))!;
      const contact = record.externalRefs.hubspot !== null ? lookup.contactOf(record.id) : lookup.contactByEmail(record.email);
      expect(node.deals.edges.map((e) => rawId(e.node.id))).toEqual(contact ? lookup.dealsOfContact(contact.id).map((d) => d.id) : []);
    }
    expect((await stack.simStats('hubspot')).byRoute[ASSOCIATIONS_BATCH]).toEqual(before.byRoute[ASSOCIATIONS_BATCH]);
  });
});
