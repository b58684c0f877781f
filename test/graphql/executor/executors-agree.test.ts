import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { startSimulators, type SimulatorSet } from '../../../src/simulators/index.ts';
import { apiKeysFile, bearer } from '../../support/auth.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../../support/queries.ts';

const FULL_KEY = 'trib_test_executors_full_5b1e';
const NO_PAYMENTS_KEY = 'trib_test_executors_no_payments_9c2d';

const SHAPES = /* GraphQL */ `
  query Shapes($first: Int!, $withDeals: Boolean!, $skipEmail: Boolean!) {
    list: customers(first: $first) {
      ...Page
      pageInfo { startCursor hasPreviousPage }
    }
    again: customers(first: 2) { edges { node { __typename id } } }
  }
  fragment Page on CustomerConnection {
    edges {
      node {
        __typename
        id
        email @skip(if: $skipEmail)
        ... on Customer { name }
        payments(first: 2, status: SUCCEEDED) { edges { cursor node { status amount { minorUnits } } } pageInfo { hasNextPage } }
        crmContact { lifecycleStage }
        deals(first: 1) @include(if: $withDeals) { edges { node { stage amount { currency } } } }
      }
    }
  }
`;

const NODES = /* GraphQL */ `
  query Nodes($ids: [ID!]!) {
    nodes(ids: $ids) { __typename id ... on Payment { status customer { id } } ... on Deal { name } }
  }
`;

/**
 * The compiled executor (GRAPHQL_EXECUTOR=jit) must answer exactly as graphql-js does: data,
 * partial results and errors (messages, paths, locations, codes), each case asked of two gateways
 * in front of the same simulators, nothing cached. The jit gateway is asked twice, since it
 * compiles a query the second time it sees it.
 */
describe('the compiled executor answers as graphql-js does', () => {
  let simulators: SimulatorSet;
  let jit: GatewayStack;
  let reference: GatewayStack;

  beforeAll(async () => {
    simulators = await startSimulators({ seed: 42 });
    const env = {
      CACHE_ENABLED: 'false',
      UPSTREAM_REPORT: 'false',
      // Both gateways meet the same faults, but not as often: no circuit may open in one only.
      BREAKER_MIN_CALLS_PER_SECOND: '1000000',
      API_KEYS_FILE: apiKeysFile([
        { key: FULL_KEY, client: 'full', tenant: 'default', scopes: ['customers:read', 'payments:read', 'crm:read'] },
        { key: NO_PAYMENTS_KEY, client: 'support', tenant: 'default', scopes: ['customers:read', 'crm:read'] },
      ]),
    };
    jit = await GatewayStack.startRemote(simulators, { ...env, GRAPHQL_EXECUTOR: 'jit' });
    reference = await GatewayStack.startRemote(simulators, { ...env, GRAPHQL_EXECUTOR: 'graphql-js' });
  });
  afterAll(async () => {
    await jit?.close();
    await reference?.close();
    await simulators?.close();
  });

  const faults = async (provider: 'stripe' | 'hubspot' | 'customers', body: Record<string, unknown>) => {
    await jit.simAdmin(provider, 'faults', body);
  };
  const clear = () => Promise.all((['stripe', 'hubspot', 'customers'] as const).map((provider) => jit.simAdmin(provider, 'faults', {})));

  async function expectSameAnswers(query: string, variables: Record<string, unknown>, key = FULL_KEY) {
    const expected = await reference.post(query, variables, bearer(key));
    await jit.post(query, variables, bearer(key)); // interpreted: the first sight of the document
    const compiled = await jit.post(query, variables, bearer(key));
    expect(compiled.status).toBe(expected.status);
    expect(compiled.body).toEqual(expected.body);
    return expected.body;
  }

  it('an operation name the document does not hold: a request error, not a crash', async () => {
    const ask = async (stack: GatewayStack) => {
      const response = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(FULL_KEY) },
        body: JSON.stringify({ query: '{ __typename }', operationName: 'Nope' }),
      });
      return { status: response.status, body: (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] } };
    };
    const expected = await ask(reference);
    expect(expected.body.errors?.[0]?.message).toBe('Unknown operation named "Nope".');
    expect(expected.body.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
    await ask(jit);
    expect(await ask(jit)).toEqual(expected);
  });

  it('the Customer 360 page', async () => {
    const answer = await expectSameAnswers(CUSTOMER_360, { first: 20 });
    expect(answer.errors).toBeUndefined();
  });

  it('fragments, aliases, @skip and @include, enum arguments', async () => {
    await expectSameAnswers(SHAPES, { first: 5, withDeals: true, skipEmail: true });
    await expectSameAnswers(SHAPES, { first: 3, withDeals: false, skipEmail: false });
  });

  it.each([
    { when: 'Stripe down: payments null with UPSTREAM_UNAVAILABLE at their paths', provider: 'stripe', fault: { outage: true }, codes: ['UPSTREAM_UNAVAILABLE'] },
    { when: 'HubSpot answering garbage: CRM fields fail with UPSTREAM_BAD_RESPONSE', provider: 'hubspot', fault: { malformedRate: 1 }, codes: ['UPSTREAM_BAD_RESPONSE'] },
    { when: 'the customer service down: a null list with its error', provider: 'customers', fault: { outage: true }, codes: ['UPSTREAM_UNAVAILABLE'] },
  ] as const)('$when', async ({ provider, fault, codes }) => {
    await faults(provider, fault);
    try {
      const answer = await expectSameAnswers(CUSTOMER_360, { first: 10 });
      expect([...new Set(answer.errors?.map((error) => error.extensions?.['code']))]).toEqual(codes);
    } finally {
      await clear();
    }
  });

  it('a field the principal has no scope for: FORBIDDEN at each path', async () => {
    const answer = await expectSameAnswers(CUSTOMER_360, { first: 3 }, NO_PAYMENTS_KEY);
    expect(answer.errors?.map((error) => error.extensions?.['code'])).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
  });

  it('nodes by global id: known, unknown and malformed ids', async () => {
    const charge = simulators.dataset.stripe.charges[0]!;
    const deal = simulators.dataset.hubspot.deals[0]!;
    await expectSameAnswers(NODES, { ids: [toGlobalId('Payment', charge.id), toGlobalId('Deal', deal.id), toGlobalId('Deal', '999999999'), 'not-a-global-id', toGlobalId('Customer', 'cust_0001')] });
  });

  it('variables of the wrong type and arguments out of range', async () => {
    await expectSameAnswers(CUSTOMER_360, { first: 'fifty' });
    await expectSameAnswers(CUSTOMER_360, {});
    await expectSameAnswers(CUSTOMER_360, { first: 500 });
  });
});
