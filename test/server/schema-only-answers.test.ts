import { parse, type OperationDefinitionNode } from 'graphql';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/server/create-gateway.ts';
import { simulatorEndpoints } from '../../src/server/start.ts';
import { createSchemaOnlyTest } from '../../src/server/schema-only-answer.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';

describe('an operation whose answer the schema alone decides', () => {
  const schemaOnly = createSchemaOnlyTest();
  const test = (text: string) => {
    const document = parse(text);
    return schemaOnly(document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!, document);
  };

  it('selects __typename and nothing else, through fragments too', () => {
    expect(test('{ __typename }')).toBe(true);
    expect(test('query Probe { a: __typename __typename }')).toBe(true);
    expect(test('{ ... on Query { __typename } ...F } fragment F on Query { __typename }')).toBe(true);
    expect(test('query($s: Boolean!) { __typename @skip(if: $s) }')).toBe(true);
  });

  it('is any operation that selects a field, however deep or behind a fragment', () => {
    expect(test('{ __typename writeStatus(id: "x") { __typename } }')).toBe(false);
    expect(test('{ ... on Query { customer(id: "x") { __typename } } }')).toBe(false);
    expect(test('{ ...F } fragment F on Query { __typename node(id: "x") { __typename } }')).toBe(false);
    expect(test('{ ...Missing }')).toBe(false);
    expect(test('{ __schema { queryType { name } } }')).toBe(false);
  });
});

describe('the result cache and answers that used no entity', () => {
  let simulators: SimulatorSet;
  let gateway: Gateway;
  let executed = 0;

  beforeAll(async () => {
    simulators = await startSimulators({ host: '127.0.0.1' });
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', UPSTREAM_REPORT: 'true' });
    gateway = await createGateway({
      config,
      tenants: [
        {
          id: config.defaultTenantId,
          rateLimits: config.rateLimits,
          endpoints: simulatorEndpoints(simulators),
        },
      ],
      // Called for every operation Apollo runs, and never for a replayed answer.
      onEstimate: () => {
        executed += 1;
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await simulators.close();
  });

  const post = async (query: string) => {
    const response = await request(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const text = await response.body.text();
    return { status: response.statusCode, text, body: JSON.parse(text) as { data?: unknown; errors?: unknown; extensions?: { upstream?: Record<string, { calls?: number; breaker?: string }> } } };
  };

  it('replays `{ __typename }` without running it again, byte for byte, estimate included', async () => {
    const before = executed;
    const first = await post('{ __typename }');
    const again = await post('{ __typename }');
    expect(executed - before).toBe(1);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.text).toBe(first.text);
    expect(again.body).toMatchObject({ data: { __typename: 'Query' }, extensions: { upstream: { stripe: { calls: 0, breaker: 'closed' }, estimate: { cost: 0 } } } });
  });

  it('runs again an answer that used no entity but read other state (a queued write\'s status)', async () => {
    const query = '{ writeStatus(id: "op_unknown") { __typename } }';
    const before = executed;
    const first = await post(query);
    const again = await post(query);
    expect(first.body).toMatchObject({ data: { writeStatus: null } });
    expect(again.body.data).toEqual(first.body.data);
    expect(executed - before).toBe(2);
  });
});
