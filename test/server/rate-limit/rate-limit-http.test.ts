import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { apiKeyDigest } from '../../../src/auth/api-key-registry.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';

/** The estimated cost of CUSTOMERS. */
const CUSTOMERS_COST = 6;
const CUSTOMERS = /* GraphQL */ `
  query {
    customers(first: 2) { edges { node { id name } } }
  }
`;

/** Real HTTP, and the answer's status and headers, which GatewayStack.query leaves out. */
async function post(stack: GatewayStack, query: string, apiKey?: string) {
  const headers = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
  const response = await request(stack.url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  const body = (await response.body.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; extensions?: Record<string, unknown> };
  const header = (name: string) => response.headers[name] as string | undefined;
  return { status: response.statusCode, body, header };
}

describe('per-client rate limits over HTTP', () => {
  let stack: GatewayStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  // The gateway's clock: it stands still unless a test moves it, so windows are exact.
  let clock = 1_700_000_000_000;
  const now = () => clock;

  it('answers the 4th request of a 3-request budget with 429 RATE_LIMITED, Retry-After and the RateLimit fields, without calling a provider', async () => {
    // No cache: every admitted request reaches the customer service, so a refused one would show.
    stack = await GatewayStack.start({ CLIENT_RATE_LIMIT_REQUESTS: '3', RATE_LIMIT_WINDOW_MS: '60000', CACHE_ENABLED: 'false' }, now);
    for (let i = 0; i < 3; i += 1) {
      const admitted = await post(stack, CUSTOMERS);
      expect(admitted.status).toBe(200);
      expect(admitted.body.errors).toBeUndefined();
      expect(admitted.header('ratelimit-policy')).toBe('"client-requests";q=3;w=60, "client-cost";q=100000;w=60, "tenant-requests";q=3000;w=60, "tenant-cost";q=500000;w=60');
      expect(admitted.header('ratelimit')).toBe(`"client-requests";r=${2 - i};t=${20 * (i + 1)}`);
    }
    const before = (await stack.simStats('customers')).requests;
    expect(before).toBeGreaterThanOrEqual(3);

    const refused = await post(stack, CUSTOMERS);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      errors: [{ message: 'The request budget of this client is spent; retry in 20 s', extensions: { code: 'RATE_LIMITED', retryAfter: 20 } }],
    });
    expect(refused.header('retry-after')).toBe('20');
    expect(refused.header('ratelimit')).toBe('"client-requests";r=0;t=20');
    expect(refused.header('ratelimit-policy')).toContain('"client-requests";q=3;w=60');
    expect((await stack.simStats('customers')).requests).toBe(before);

    // Retry-After is exact: a second early is still refused, on time is admitted.
    clock += 19_000;
    expect((await post(stack, CUSTOMERS)).status).toBe(429);
    clock += 1_000;
    expect((await post(stack, CUSTOMERS)).status).toBe(200);
  });

  it('refuses a client past its budget before its body is read, and counts requests other checks refuse', async () => {
    stack = await GatewayStack.start({ CLIENT_RATE_LIMIT_REQUESTS: '2', RATE_LIMIT_WINDOW_MS: '60000' }, now);
    // A document over MAX_QUERY_BYTES is refused (400) after it was read: it still spends a request.
    expect((await post(stack, `{ ${'__typename '.repeat(2000)}}`)).status).toBe(400);
    expect((await post(stack, CUSTOMERS)).status).toBe(200);
    // Past the budget, even a body the size check would refuse gets the 429: nothing was parsed.
    const refused = await post(stack, `{ ${'__typename '.repeat(200_000)}}`);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
  });

  it('refuses an operation its client\'s cost budget cannot pay with 429 RATE_LIMITED before it runs', async () => {
    // Each operation is charged its estimate: 1 customer-service call and 5 objects (the
    // connection, two edges, two customers), as extensions.upstream.estimate reports it.
    stack = await GatewayStack.start({ CLIENT_RATE_LIMIT_COST: String(2 * CUSTOMERS_COST), RATE_LIMIT_WINDOW_MS: '60000', CACHE_ENABLED: 'false' }, now);
    const first = await post(stack, CUSTOMERS);
    expect(first.status).toBe(200);
    expect((first.body.extensions?.upstream as { estimate?: { cost: number } } | undefined)?.estimate?.cost).toBe(CUSTOMERS_COST);
    // After the charge the cost budget is the tighter one: half of it left, whole again in 30 s.
    expect(first.header('ratelimit')).toBe(`"client-cost";r=${CUSTOMERS_COST};t=30`);
    expect((await post(stack, CUSTOMERS)).status).toBe(200);
    const before = (await stack.simStats('customers')).requests;

    const refused = await post(stack, CUSTOMERS);
    expect(refused.status).toBe(429);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toEqual([
      { message: 'The operation cost budget of this client is spent; retry in 30 s', extensions: { code: 'RATE_LIMITED', retryAfter: 30 } },
    ]);
    expect(refused.header('retry-after')).toBe('30');
    expect(refused.header('ratelimit')).toBe('"client-cost";r=0;t=30');
    expect((await stack.simStats('customers')).requests).toBe(before);
    clock += 30_000;
    expect((await post(stack, CUSTOMERS)).status).toBe(200);
  });

  it('counts a request the result cache answers, and lifts every budget set to 0', async () => {
    stack = await GatewayStack.start({ CLIENT_RATE_LIMIT_REQUESTS: '2', CLIENT_RATE_LIMIT_COST: '0', TENANT_RATE_LIMIT_REQUESTS: '0', TENANT_RATE_LIMIT_COST: '0' }, now);
    expect((await post(stack, CUSTOMERS)).status).toBe(200);
    const replayed = await post(stack, CUSTOMERS);
    expect(replayed.status).toBe(200);
    expect(replayed.header('ratelimit-policy')).toBe('"client-requests";q=2;w=60');
    expect((await post(stack, CUSTOMERS)).status).toBe(429);
  });

  it('keeps each authenticated client\'s budget its own, and their tenant\'s shared', async () => {
    const keys = { a: 'trib_test_client_a_5f2c9d', b: 'trib_test_client_b_7e1a4b' };
    const file = join(mkdtempSync(join(tmpdir(), 'tributary-ratelimit-')), 'api-keys.json');
    const entry = (client: string, key: string) => ({ client, tenant: 'sample', scopes: ['customers:read'], sha256: apiKeyDigest(key) });
    writeFileSync(file, JSON.stringify({ keys: [entry('a', keys.a), entry('b', keys.b)] }));
    stack = await GatewayStack.start({ API_KEYS_FILE: file, CLIENT_RATE_LIMIT_REQUESTS: '2', TENANT_RATE_LIMIT_REQUESTS: '3' }, now);
    expect((await post(stack, CUSTOMERS, keys.a)).status).toBe(200);
    expect((await post(stack, CUSTOMERS, keys.a)).status).toBe(200);
    const clientSpent = await post(stack, CUSTOMERS, keys.a);
    expect([clientSpent.status, clientSpent.body.errors?.[0]?.message]).toEqual([429, 'The request budget of this client is spent; retry in 30 s']);
    // b has its own client budget, but only the tenant's third request is left for it.
    expect((await post(stack, CUSTOMERS, keys.b)).status).toBe(200);
    const tenantSpent = await post(stack, CUSTOMERS, keys.b);
    expect([tenantSpent.status, tenantSpent.header('ratelimit')]).toEqual([429, '"tenant-requests";r=0;t=20']);
    // Authentication comes first: without credentials it is a 401, not the spent tenant's 429.
    expect((await post(stack, CUSTOMERS)).status).toBe(401);
  });
});
