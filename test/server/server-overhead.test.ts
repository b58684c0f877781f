import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { ApiKeyRegistry, apiKeyDigest } from '../../src/auth/api-key-registry.ts';
import type { OperationEstimate } from '../../src/graphql/limits/cost-estimate.ts';
import { ClientRateLimiter, type RateLimitOverride } from '../../src/server/rate-limit/client-rate-limiter.ts';
import { MemoryRateLimitStore } from '../../src/server/rate-limit/memory-rate-limit-store.ts';
import { stringifyResult, upstreamReportJSON } from '../../src/server/upstream-report-plugin.ts';
import type { BreakerState } from '../../src/upstream/resilience/circuit-breaker.ts';
import { UpstreamReport } from '../../src/upstream/upstream-report.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

/*
 * What the per-request work keeps from one request to the next (issue 13, server overhead) must
 * never answer a request differently from working it out again.
 */

const CLOSED: BreakerState = { kind: 'closed' };

describe('the upstream report of an operation that called nothing', () => {
  it('says each breaker\'s state as it is when the answer leaves, with every figure zero', () => {
    const open: BreakerState = { kind: 'open', since: 0, probeAt: 5_000 };
    const before = upstreamReportJSON(new UpstreamReport(), { customers: CLOSED, stripe: CLOSED, hubspot: CLOSED });
    const during = upstreamReportJSON(new UpstreamReport(), { customers: CLOSED, stripe: open, hubspot: { kind: 'half-open', probing: true } });
    expect(before.stripe).toEqual({ calls: 0, failures: 0, bytes: 0, cacheHits: 0, cacheMisses: 0, revalidated: 0, bytesSaved: 0, stale: 0, maxStaleAgeMs: 0, quotaWaits: 0, quotaWaitMs: 0, breaker: 'closed' });
    expect([during.customers.breaker, during.stripe.breaker, during.hubspot.breaker]).toEqual(['closed', 'open', 'half-open']);
    expect(upstreamReportJSON(new UpstreamReport(), { customers: CLOSED, stripe: CLOSED, hubspot: CLOSED })).toEqual(before);
  });

  it('counts what an operation did call, whatever was answered before it', () => {
    upstreamReportJSON(new UpstreamReport(), { customers: CLOSED, stripe: CLOSED, hubspot: CLOSED });
    const report = new UpstreamReport();
    report.recordCall('stripe', { ok: true, bytes: 120 });
    const json = upstreamReportJSON(report, { customers: CLOSED, stripe: CLOSED, hubspot: CLOSED });
    expect(json.stripe).toMatchObject({ calls: 1, bytes: 120, breaker: 'closed' });
    expect(json.customers.calls).toBe(0);
  });
});

describe('the answer\'s text', () => {
  it('is exactly what JSON.stringify writes, whatever the report and the rest of the answer', () => {
    const open: BreakerState = { kind: 'open', since: 0, probeAt: 5_000 };
    const zero = upstreamReportJSON(new UpstreamReport(), { customers: CLOSED, stripe: CLOSED, hubspot: CLOSED });
    const zeroOpen = upstreamReportJSON(new UpstreamReport(), { customers: CLOSED, stripe: open, hubspot: CLOSED });
    const used = new UpstreamReport();
    used.recordCache('customers', 'hit');
    const nonZero = upstreamReportJSON(used, { customers: CLOSED, stripe: CLOSED, hubspot: CLOSED });
    const estimate = { cost: 3, calls: 1, objects: 2, maxCost: 5000 };
    const answers = [
      { data: { __typename: 'Query' }, extensions: { upstream: { customers: zero.customers, stripe: zero.stripe, hubspot: zero.hubspot, estimate } } },
      { data: { __typename: 'Query' }, extensions: { upstream: zero } },
      { data: { __typename: 'Query' }, extensions: { upstream: { ...zeroOpen, estimate } } },
      { errors: [{ message: 'no', extensions: { code: 'X' } }], data: null, extensions: { upstream: { ...zero, estimate } } },
      { data: { a: 'é"\n' }, extensions: { other: 1, upstream: { ...zero, estimate } } },
      { data: { a: 1 }, extensions: { upstream: { ...nonZero, estimate } } },
      { data: { a: 1 }, extensions: { upstream: { customers: zero.customers, stripe: zeroOpen.stripe, hubspot: zero.hubspot } } },
      { extensions: { upstream: zero } },
      { data: { a: 1 } },
    ];
    for (const answer of answers) expect(stringifyResult(answer)).toBe(`${JSON.stringify(answer)}\n`);
  });
});

describe('API keys a client already proved', () => {
  it('still refuses any other key, and the digest itself, after a key matched', () => {
    const registry = new ApiKeyRegistry([{ sha256: apiKeyDigest('alpha-key-1'), client: 'c1', tenant: 't1', scopes: ['customers:read'] }]);
    for (let i = 0; i < 3; i += 1) expect(registry.authenticate('alpha-key-1')).toMatchObject({ clientId: 'c1', tenantId: 't1' });
    expect(registry.authenticate('alpha-key-2')).toBeUndefined();
    expect(registry.authenticate('alpha-key-')).toBeUndefined();
    expect(registry.authenticate(apiKeyDigest('alpha-key-1'))).toBeUndefined();
  });
});

describe('a client\'s rate-limit budgets', () => {
  it('follow its tenant\'s override when the override is replaced', async () => {
    const overrides = new Map<string, RateLimitOverride>([['acme', { clientRequests: 2 }]]);
    const limiter = new ClientRateLimiter({
      store: new MemoryRateLimitStore({ now: () => 1_700_000_000_000 }),
      defaults: { clientRequests: 100, clientCost: 0, tenantRequests: 0, tenantCost: 0 },
      windowMs: 60_000,
      policyFor: (tenantId) => overrides.get(tenantId),
    });
    const who = { tenantId: 'acme', clientId: 'dash' };
    const one = { requests: 1, cost: 0 };
    expect((await limiter.consume(who, one)).headers['RateLimit-Policy']).toBe('"client-requests";q=2;w=60');
    expect((await limiter.consume(who, one)).allowed).toBe(true);
    expect((await limiter.consume(who, one)).allowed).toBe(false);
    overrides.set('acme', { clientRequests: 5 });
    // A changed limit is another budget (its key names the limit): it starts whole.
    expect(await limiter.consume(who, one)).toMatchObject({ allowed: true, headers: { 'RateLimit-Policy': '"client-requests";q=5;w=60' } });
    overrides.set('acme', { clientRequests: -1 });
    await expect(limiter.consume(who, one)).rejects.toThrow(TypeError);
  });
});

describe('the estimate of an operation, over HTTP', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await GatewayStack.start();
  });
  afterAll(async () => {
    await stack.close();
  });

  const estimateOf = async (body: Record<string, unknown>): Promise<{ status: number; estimate: OperationEstimate | undefined }> => {
    // In this media type a refusal by the cost limit answers 400 (in application/json, 200).
    const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
    const response = await request(stack.url, { method: 'POST', headers, body: JSON.stringify(body) });
    const answer = (await response.body.json()) as { extensions?: { upstream?: { estimate?: OperationEstimate } } };
    return { status: response.statusCode, estimate: answer.extensions?.upstream?.estimate };
  };

  it('is worked out again for each request of a document with variables', async () => {
    const query = 'query($n: Int!) { customers(first: $n) { edges { node { id } } } }';
    const small = await estimateOf({ query, variables: { n: 2 } });
    const large = await estimateOf({ query, variables: { n: 40 } });
    expect(small.estimate!.cost).toBeLessThan(large.estimate!.cost);
    const between = await estimateOf({ query, variables: { n: 3 } });
    expect(between.estimate!.cost).toBeGreaterThan(small.estimate!.cost);
    expect(between.estimate!.cost).toBeLessThan(large.estimate!.cost);
  });

  it('is the same for every request of a document without variables, refusals included', async () => {
    const cheap = await estimateOf({ query: '{ __typename }' });
    expect(cheap).toEqual({ status: 200, estimate: { cost: 0, calls: 0, objects: 0, maxCost: 5000 } });
    expect(await estimateOf({ query: '{ __typename }' })).toEqual(cheap);
    const costly = '{ customers(first: 100) { edges { node { payments(first: 100) { edges { node { id } } } } } } }';
    const first = await estimateOf({ query: costly });
    expect(first.status).toBe(400);
    expect(await estimateOf({ query: costly })).toEqual(first);
  });
});
