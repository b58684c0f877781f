import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../../support/queries.ts';
import { WaveGate, type SentRequest } from '../../support/wave-gate.ts';

const HOLD_MS = 37; // any latency no other wait uses: the simulators hold it instead of sleeping

/**
 * Cold, so that every entity is fetched. Room for all 43 of the page's Stripe calls at once, in
 * slots and in budget (the bench's raised limits): with less, the rest go when the first are
 * answered or a window later, which says nothing of the critical path.
 */
const RAISED = { limit: 100_000, windowMs: 1000 };
const COLD = {
  CACHE_ENABLED: 'false',
  BULKHEAD_MAX_CONCURRENT: '64',
  STRIPE_RATE_LIMIT: String(RAISED.limit),
  HUBSPOT_RATE_LIMIT: String(RAISED.limit),
  HUBSPOT_RATE_WINDOW_MS: String(RAISED.windowMs),
};

const CONTACTS = 'hubspot /crm/v3/objects/contacts/batch/read';
const ASSOCIATIONS = 'hubspot /crm/v4/associations/contacts/deals/batch/read';
const DEALS = 'hubspot /crm/v3/objects/deals/batch/read';
const CHARGES = 'stripe /v1/charges';

const ONE_CUSTOMER = /* GraphQL */ `query OneCustomer($id: ID!) {
  customer(id: $id) {
    payments(first: 10) { edges { node { id } } }
    crmContact { id }
    deals(first: 10) { edges { node { id } } }
  }
}`;

/** `provider path` of each request, stripe's per-customer paths collapsed. */
const routes = (wave: SentRequest[]) => wave.map(({ provider, path }) => `${provider} ${path}`);

function counted(wave: SentRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const route of routes(wave)) counts[route] = (counts[route] ?? 0) + 1;
  return counts;
}

describe('cold, the upstream calls of an operation go in as few waves as its data allows', () => {
  let gate: WaveGate;
  let stack: GatewayStack;

  beforeEach(async () => {
    gate = new WaveGate(HOLD_MS);
    stack = await GatewayStack.startRemote(await gate.startSimulators(), COLD);
    for (const provider of ['customers', 'stripe', 'hubspot'] as const) await stack.simAdmin(provider, 'faults', { latencyMs: HOLD_MS, rateLimit: RAISED });
  });
  afterEach(async () => {
    await stack.close();
    await stack.simulators.close();
  });

  it('a Customer 360 page costs four waves: the page, then HubSpot contacts (first) with every Stripe list, associations, deals', async () => {
    const page = stack.dataset.customers.slice(0, 50);
    const linkedToStripe = page.filter((c) => c.externalRefs.stripe !== null).length;
    // The page mixes both ways of finding a contact, so both reads are in it.
    expect(page.some((c) => c.externalRefs.hubspot !== null) && page.some((c) => c.externalRefs.hubspot === null)).toBe(true);

    const answer = stack.query(CUSTOMER_360, { first: 50 });
    const waves = [];
    for (const size of [1, 2 + linkedToStripe, 1, 1]) waves.push(await gate.releaseWave(size));
    const response = await answer;

    expect(response.errors).toBeUndefined();
    expect(response.data?.['customers']).toBeTruthy();
    expect(gate.pending()).toEqual([]);
    expect(waves.map(counted)).toEqual([
      { 'customers /v1/customers': 1 },
      { [CONTACTS]: 2, [CHARGES]: linkedToStripe },
      { [ASSOCIATIONS]: 1 },
      { [DEALS]: 1 },
    ]);
    // HubSpot's reads lead three more round trips: they leave before any Stripe call.
    expect(routes(waves[1]!).slice(0, 2)).toEqual([CONTACTS, CONTACTS]);
  });

  it('one customer with a HubSpot ref costs three waves: its associations are read with its contact, not after', async () => {
    const customer = stack.dataset.customers.find((c) => c.externalRefs.hubspot !== null && c.externalRefs.stripe !== null)!;

    const answer = stack.query(ONE_CUSTOMER, { id: toGlobalId('Customer', customer.id) });
    const waves = [];
    for (const size of [1, 3, 1]) waves.push(await gate.releaseWave(size));
    const response = await answer;

    expect(response.errors).toBeUndefined();
    expect(gate.pending()).toEqual([]);
    expect(waves.map(counted)).toEqual([
      { 'customers /v1/customers/batch-get': 1 },
      { [CHARGES]: 1, [CONTACTS]: 1, [ASSOCIATIONS]: 1 },
      { [DEALS]: 1 },
    ]);
  });

  it('a customer found by email has its associations read once its contact is known', async () => {
    const id = stack.dataset.anomalies.hubspotByEmailOnly[0]!;

    const answer = stack.query(ONE_CUSTOMER, { id: toGlobalId('Customer', id) });
    const first = await gate.releaseWave(1);
    const second = await gate.releaseWave(1);
    const third = await gate.releaseWave(1);
    // Deals only if the contact has any; either way nothing else is left.
    const rest = await Promise.race([answer.then(() => []), gate.releaseWave(1)]);
    const response = await answer;

    expect(response.errors).toBeUndefined();
    expect(gate.pending()).toEqual([]);
    expect([first, second, third, rest].map(routes)).toEqual([
      ['customers /v1/customers/batch-get'],
      // The customer has no Stripe ref: nothing goes to Stripe.
      [CONTACTS],
      [ASSOCIATIONS],
      rest.length === 0 ? [] : [DEALS],
    ]);
  });
});

describe('a page starts HubSpot reads early only for the fields it asks for', () => {
  let stack: GatewayStack;

  beforeEach(async () => {
    stack = await GatewayStack.start({ CACHE_ENABLED: 'false' });
  });
  afterEach(() => stack.close());

  it.each([
    ['no CRM field', '{ customers(first: 5) { edges { node { id payments(first: 1) { edges { cursor } } } } } }', {}],
    ['crmContact skipped', 'query($skip: Boolean!) { customers(first: 5) { edges { node { id crmContact @skip(if: $skip) { id } } } } }', { skip: true }],
    ['deals not included', 'query($on: Boolean!) { customers(first: 5) { edges { ...Crm } } } fragment Crm on CustomerEdge { node { deals @include(if: $on) { edges { cursor } } } }', { on: false }],
  ])('%s: no HubSpot call', async (_name, query, variables) => {
    const response = await stack.query(query, variables);
    expect(response.errors).toBeUndefined();
    expect((await stack.simStats('hubspot')).requests).toBe(0);
  });

  it('deals asked through a fragment: each HubSpot read is made once, the contacts by id and by email in two calls', async () => {
    const page = stack.dataset.customers.slice(0, 5);
    expect(page.some((c) => c.externalRefs.hubspot !== null) && page.some((c) => c.externalRefs.hubspot === null)).toBe(true);
    const query = 'query { customers(first: 5) { edges { ...Crm } } } fragment Crm on CustomerEdge { node { deals { edges { cursor } } } }';
    const response = await stack.query(query);
    expect(response.errors).toBeUndefined();
    const { byRoute } = await stack.simStats('hubspot');
    const calls = Object.fromEntries(Object.entries(byRoute).map(([route, byStatus]) => [route, Object.values(byStatus).reduce((a, b) => a + b, 0)]));
    expect(calls).toEqual({
      'POST /crm/v3/objects/contacts/batch/read': 2,
      'POST /crm/v4/associations/contacts/deals/batch/read': 1,
      'POST /crm/v3/objects/deals/batch/read': 1,
    });
  });
});
