import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { BadUserInputError } from '../../src/errors.ts';
import type { OperationEstimate } from '../../src/graphql/limits/cost-estimate.ts';
import { createGateway, type Gateway } from '../../src/server/create-gateway.ts';
import { simulatorEndpoints } from '../../src/server/start.ts';
import type { OperationContext } from '../../src/server/operation-context.ts';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

interface Answer {
  status: number;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; extensions?: { upstream?: Record<string, unknown> } };
}

/**
 * Over node:http on a connection of its own: the gateway answers a body over its limit as soon as
 * it sees Content-Length and closes the connection while the body is still being written, which
 * fetch-like clients report as an error after the answer; here the answer is what counts.
 * Asks for application/graphql-response+json, whose status says whether the operation ran: in
 * application/json a refusal by validation answers 200 (request-error-status.ts).
 */
function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { accept: 'application/graphql-response+json', ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] }));
      response.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(body);
  });
}

const operation = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

/** A full collection between measurements, so that heap growth means memory kept, not garbage. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

let deepCycle = 'id';
for (let level = 0; level < 8; level += 1) deepCycle = `payments(first: 100) { edges { node { customer { ${deepCycle} } } } }`;
const fiftyCustomerAliases = `{ ${Array.from({ length: 5000 }, (_, i) => `a${i}: customers(first: 50) { edges { node { id } } }`).join(' ')} }`;
const customer360Fields = CUSTOMER_360.slice(CUSTOMER_360.indexOf('customers(first: $first, after: $after)'), CUSTOMER_360.lastIndexOf('}'));

/** Each abuse: the request body, built once, and what the gateway must answer before any resolver runs. */
const ABUSES: Array<{ name: string; body: string; status: number; error: Record<string, unknown>; times?: number }> = [
  {
    name: 'customers → payments → customer → payments, 8 levels deep, first: 100',
    body: operation(`{ customers(first: 100) { edges { node { ${deepCycle} } } } }`),
    status: 400,
    error: { code: 'QUERY_TOO_DEEP', depth: 36, maxDepth: 10 },
  },
  {
    name: '5,000 aliases of the Customer 360 page (3.7 MB)',
    body: operation(`query($first: Int!, $after: String) { ${Array.from({ length: 5000 }, (_, i) => `a${i}: ${customer360Fields}`).join(' ')} }`, { first: 50 }),
    status: 413,
    error: { code: 'REQUEST_TOO_LARGE', maxBytes: 1024 * 1024 },
    times: 5,
  },
  {
    name: '5,000 aliases of a 50-customer page',
    body: operation(fiftyCustomerAliases),
    status: 400,
    error: { code: 'QUERY_TOO_LARGE', bytes: Buffer.byteLength(fiftyCustomerAliases), maxBytes: 16 * 1024 },
  },
  {
    name: '1,200 tokens',
    body: operation(`{ ${'__typename '.repeat(1200)}}`),
    status: 400,
    error: { code: 'TOO_MANY_TOKENS', tokens: 1202, maxTokens: 1000 },
  },
  {
    name: 'first: 1,000,000',
    body: operation('{ customers(first: 1000000) { edges { node { id payments { edges { node { id } } } } } } }'),
    status: 400,
    // Calls: 1 + 1,000,000 Stripe lists. Objects: 1 + 2 × 1,000,000 + 1,000,000 connections of
    // payments + 2 × 10 × 1,000,000 edges and payments (first defaults to 10).
    error: { code: 'QUERY_TOO_COMPLEX', cost: 24_000_002, maxCost: 5000 },
  },
  {
    name: 'a fragment cycle',
    body: operation('query { ...A } fragment A on Query { customers(first: 100) { ...B } } fragment B on CustomerConnection { edges { ...C } } fragment C on CustomerEdge { node { id } ...B }'),
    status: 400,
    error: { code: 'GRAPHQL_VALIDATION_FAILED' },
  },
  {
    name: 'a 10 MB body',
    body: operation('{ __typename }', { padding: 'x'.repeat(10 * 1024 * 1024) }),
    status: 413,
    error: { code: 'REQUEST_TOO_LARGE', maxBytes: 1024 * 1024 },
    times: 5,
  },
  {
    name: 'a batch of 1,000 operations',
    body: JSON.stringify(Array.from({ length: 1000 }, () => ({ query: '{ customers(first: 50) { edges { node { id } } } }' }))),
    status: 400,
    error: { code: 'BATCHING_NOT_SUPPORTED' },
  },
  {
    name: 'variables nested 100,000 arrays deep',
    body: `{"query":"query($ids: [ID!]!) { nodes(ids: $ids) { id } }","variables":{"ids":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
    status: 400,
    error: { code: 'VARIABLES_TOO_DEEP', depth: 100_001, maxDepth: 10 },
  },
  {
    name: 'variables nested 100,000 objects deep',
    body: `{"query":"{ __typename }","variables":{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`,
    status: 400,
    error: { code: 'VARIABLES_TOO_DEEP', depth: 100_001, maxDepth: 10 },
  },
  {
    name: 'a 900 KB email argument',
    body: operation('query($email: String) { customers(email: $email) { edges { node { id } } } }', { email: `${'x'.repeat(900_000)}@example.com` }),
    status: 400,
    error: { code: 'BAD_USER_INPUT', argument: 'email' },
  },
  {
    name: 'a refund without an Idempotency-Key',
    body: operation('mutation { refundPayment(input: { paymentId: "UGF5bWVudDpjaF8x" }) { status } }'),
    status: 400,
    error: { code: 'IDEMPOTENCY_KEY_REQUIRED' },
  },
];

describe('abusive operations', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start();
  });
  afterAll(async () => {
    await stack.close();
  });

  const upstreamRequests = async () => {
    const stats = await Promise.all([stack.simStats('customers'), stack.simStats('stripe'), stack.simStats('hubspot')]);
    return stats.map((s) => s.requests);
  };

  it.each(ABUSES)('refuses $name with its code, no upstream call and no memory kept', async ({ body, status, error, times = 20 }) => {
    const before = await upstreamRequests();
    // A well-behaved client keeps being answered while the abuse goes on.
    let abusing = true;
    const bystander = (async () => {
      const answers: Answer[] = [];
      while (abusing || answers.length === 0) answers.push(await post(stack.url, operation('{ __typename }')));
      return answers;
    })();
    const heapBefore = heapUsed();
    try {
      for (let round = 0; round < times; round += 1) {
        const answer = await post(stack.url, body);
        expect(answer.status).toBe(status);
        expect(answer.body.errors?.[0]?.extensions).toEqual(error);
        expect(answer.body.errors?.every((e) => e.extensions?.['code'] === error['code'])).toBe(true);
        expect(answer.body.data).toBeUndefined();
      }
    } finally {
      abusing = false;
    }
    const growth = heapUsed() - heapBefore;
    const answers = await bystander;
    expect(answers.every((a) => a.status === 200 && JSON.stringify(a.body.data) === '{"__typename":"Query"}')).toBe(true);
    expect(await upstreamRequests()).toEqual(before);
    // Generous: the bodies are built once, outside the loop; a leak of one 10 MB body per request would show.
    expect(growth).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses deep variables in a GET query string too, before Apollo parses them', async () => {
    const url = new URL(stack.url);
    url.searchParams.set('query', 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }');
    url.searchParams.set('variables', `{"ids":${'['.repeat(2000)}${']'.repeat(2000)}}`);
    const response = await request(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.statusCode).toBe(400);
    expect(await response.body.json()).toEqual({ errors: [{ message: 'Variables nest 2001 deep; at most 10 is accepted', extensions: { code: 'VARIABLES_TOO_DEEP', depth: 2001, maxDepth: 10 } }] });
  });

  it('measures a GET query as Apollo decodes it, even with a malformed escape that another parser would leave encoded', async () => {
    // `%FF` is not UTF-8: Fastify's query parser keeps such a value undecoded ("%7Ba a a…"), which
    // does not lex, while Apollo decodes it (U+FFFD inside a comment) and would parse every token.
    const url = `${stack.url}?query=%7B${'a+'.repeat(1500)}%7D%23%FF`;
    const response = await request(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.statusCode).toBe(400);
    expect(((await response.body.json()) as { errors: Array<{ extensions: unknown }> }).errors[0]?.extensions).toEqual({ code: 'TOO_MANY_TOKENS', tokens: 1502, maxTokens: 1000 });
  });

  it('serves the Customer 360 page with first: 50, and reports its estimate next to the actual calls', async () => {
    const answer = await post(stack.url, operation(CUSTOMER_360, { first: 50 }));
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    const upstream = answer.body.extensions?.upstream as Record<'customers' | 'stripe' | 'hubspot', { calls: number; failures: number }> & { estimate: OperationEstimate };
    expect(upstream.estimate).toEqual({ cost: 2161, calls: 59, objects: 2102, maxCost: 5000 });
    // The estimate is an upper bound with nothing cached; retries (of a 429, say) are not in it.
    const succeeded = (['customers', 'stripe', 'hubspot'] as const).reduce((sum, p) => sum + upstream[p].calls - upstream[p].failures, 0);
    expect(succeeded).toBeGreaterThan(0);
    expect(upstream.estimate.calls).toBeGreaterThanOrEqual(succeeded);
  });

  it('refuses an operation whose estimated cost is over the limit with exactly its cost and the maximum', async () => {
    const answer = await post(stack.url, operation('query($n: Int!) { customers(first: $n) { edges { node { payments(first: 100) { edges { node { id } } } } } } }', { n: 100 }));
    expect(answer.status).toBe(400);
    // 1 + 100 calls; 1 + 100 + 100 + 100 connections + 10,000 edges + 10,000 payments.
    expect(answer.body.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 20_402, maxCost: 5000 });
    expect((answer.body.extensions?.upstream as { estimate: OperationEstimate }).estimate).toEqual({ cost: 20_402, calls: 101, objects: 20_301, maxCost: 5000 });
  });
});

describe('limits configured by the environment', () => {
  it('applies MAX_QUERY_COST and hides "Did you mean" in production', async () => {
    // Production needs client authentication: one API key, stored as its SHA-256.
    const key = 'limits-test-key';
    const directory = await mkdtemp(join(tmpdir(), 'tributary-limits-'));
    const keysFile = join(directory, 'api-keys.json');
    const sha256 = createHash('sha256').update(key).digest('hex');
    await writeFile(keysFile, JSON.stringify({ keys: [{ client: 'limits-test', tenant: 'sample', scopes: ['customers:read'], sha256 }] }));
    const stack = await GatewayStack.start({ NODE_ENV: 'production', API_KEYS_FILE: keysFile, MAX_QUERY_COST: '10' });
    try {
      const headers = { 'x-api-key': key };
      const costly = await post(stack.url, operation('{ customers(first: 5) { edges { node { id } } } }'), headers);
      expect(costly.body.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 12, maxCost: 10 });
      const typo = await post(stack.url, operation('{ customerz { edges { node { id } } } }'), headers);
      expect(typo.status).toBe(400);
      expect(typo.body.errors?.[0]?.message).toContain('Cannot query field "customerz"');
      expect(typo.body.errors?.[0]?.message).not.toMatch(/Did you mean|"customers"/);
    } finally {
      await stack.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('the onEstimate hook', () => {
  let simulators: SimulatorSet;
  let gateway: Gateway;
  const seen: Array<{ estimate: OperationEstimate; onContext: boolean; callsSoFar: number }> = [];
  let refuse = false;

  beforeAll(async () => {
    simulators = await startSimulators({ host: '127.0.0.1' });
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    gateway = await createGateway({
      config,
      tenants: [
        {
          id: config.defaultTenantId,
          rateLimits: config.rateLimits,
          endpoints: simulatorEndpoints(simulators),
        },
      ],
      onEstimate: (context: OperationContext, estimate: OperationEstimate) => {
        const usage = context.report.toJSON();
        seen.push({ estimate, onContext: context.estimate === estimate, callsSoFar: usage.customers.calls + usage.stripe.calls + usage.hubspot.calls });
        if (refuse) throw new BadUserInputError('This client has spent its budget', 'first');
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await simulators.close();
  });

  it('is called with the estimate, kept on the context, before any upstream call', async () => {
    const answer = await post(gateway.url, operation('{ customers(first: 2) { edges { node { id } } } }'));
    expect(answer.status).toBe(200);
    expect(seen.at(-1)).toEqual({ estimate: { cost: 6, calls: 1, objects: 5, maxCost: 5000 }, onContext: true, callsSoFar: 0 });
  });

  it('ends the operation with the code of the error it throws, before any upstream call', async () => {
    refuse = true;
    const before = await Promise.all([simulators.customers, simulators.stripe, simulators.hubspot].map(async (s) => (await request(new URL('/_sim/stats', s.url)).then((r) => r.body.json()) as { requests: number }).requests));
    const answer = await post(gateway.url, operation('{ customers(first: 3) { edges { node { id } } } }'));
    const after = await Promise.all([simulators.customers, simulators.stripe, simulators.hubspot].map(async (s) => (await request(new URL('/_sim/stats', s.url)).then((r) => r.body.json()) as { requests: number }).requests));
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ message: 'This client has spent its budget', extensions: { code: 'BAD_USER_INPUT', argument: 'first' } }]);
    expect(after).toEqual(before);
  });
});
