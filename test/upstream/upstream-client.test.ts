import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeSimulator, SIM_CREDENTIALS, type SimStats, type SimulatorHandle } from '../../src/simulators/index.ts';
import { StaticBearer, type Credential } from '../../src/upstream/auth/credential.ts';
import { CallContext } from '../../src/upstream/call-context.ts';
import { QuotaGuard } from '../../src/upstream/quota/quota-guard.ts';
import { CircuitBreaker } from '../../src/upstream/resilience/circuit-breaker.ts';
import { RetryPolicy } from '../../src/upstream/resilience/retry-policy.ts';
import { UpstreamClient } from '../../src/upstream/upstream-client.ts';
import { UpstreamReport } from '../../src/upstream/upstream-report.ts';

describe('UpstreamClient and the circuit breaker', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await createStripeSimulator();
  });
  afterAll(() => sim.close());

  const stats = async () => (await (await fetch(`${sim.url}/_sim/stats`)).json()) as SimStats;
  const client = (quotaLimit = 1000) =>
    new UpstreamClient({
      provider: 'stripe',
      baseUrl: sim.url,
      credential: new StaticBearer(SIM_CREDENTIALS.stripeSecretKey),
      headers: { 'stripe-version': '2025-02-24.acacia' },
      quota: new QuotaGuard({ provider: 'stripe', limit: quotaLimit, windowMs: 60_000, maxWaitMs: 0 }),
      retry: new RetryPolicy({ maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 0, budgetReserve: 0 }),
      // Any one failure the provider causes opens this circuit.
      breaker: new CircuitBreaker({ provider: 'stripe', failureRate: 0.01, windowMs: 60_000, minCallsPerSecond: 0, halfOpenAfterMs: 60_000 }),
      bulkhead: { maxConcurrent: 10, maxQueued: 100 },
      attemptTimeoutMs: 30_000,
      quotaMaxWaitMs: 0,
    });
  const get = (c: UpstreamClient, budgetMs: number) =>
    c.request({ method: 'GET', path: '/v1/charges', query: { limit: 1 }, call: new CallContext(new UpstreamReport(), budgetMs) }).catch((error: unknown) => error);

  it('does not open the circuit for calls cut by the operation deadline, nor for calls refused before they were sent', async () => {
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 2000 }) });
    const c = client(5);
    const cut = await Promise.all(Array.from({ length: 5 }, () => get(c, 30)));
    expect(cut).toEqual(Array.from({ length: 5 }, () => expect.objectContaining({ code: 'UPSTREAM_TIMEOUT', byGateway: true })));
    const refusedByQuota = await get(c, 30);
    expect(refusedByQuota).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', byGateway: true });
    const noTimeLeft = await get(c, 0);
    expect(noTimeLeft).toMatchObject({ code: 'UPSTREAM_TIMEOUT', byGateway: true });
    expect(c.breakerState.kind).toBe('closed');
    await c.close();
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
  });

  it('opens it when the provider fails, and then spends no quota on calls it refuses', async () => {
    await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outage: true }) });
    const c = client(2);
    const before = (await stats()).requests;
    expect(await get(c, 5000)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', byGateway: false });
    expect(c.breakerState.kind).toBe('open');
    for (let i = 0; i < 5; i += 1) expect(await get(c, 5000)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', byGateway: true });
    expect((await stats()).requests - before).toBe(1);
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    await c.close();
  });
});

describe('UpstreamClient and credentials', () => {
  it('renews the credential after a 401 and tries once more, but not after a 403 (a scope a new token would lack too)', async () => {
    for (const status of [401, 403]) {
      let requests = 0;
      const server = createServer((_req, res) => {
        requests += 1;
        res.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"error"}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const renewed: string[] = [];
      const credential: Credential = {
        identity: 'test',
        authorization: async () => 'Bearer token-1',
        renew: async (refused) => {
          renewed.push(refused);
          return true;
        },
      };
      const client = new UpstreamClient({
        provider: 'hubspot',
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        credential,
        headers: {},
        quota: new QuotaGuard({ provider: 'hubspot', limit: 100, windowMs: 1000, maxWaitMs: 0 }),
        retry: new RetryPolicy({ maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 0, budgetReserve: 0 }),
        breaker: new CircuitBreaker({ provider: 'hubspot', failureRate: 0.5, windowMs: 1000, minCallsPerSecond: 1, halfOpenAfterMs: 1000 }),
        bulkhead: { maxConcurrent: 2, maxQueued: 10 },
        attemptTimeoutMs: 5000,
        quotaMaxWaitMs: 0,
      });
      const failure = await client.request({ method: 'GET', path: '/x', call: new CallContext(new UpstreamReport(), 5000) }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'UPSTREAM_UNAUTHORIZED', status });
      expect(renewed).toEqual(status === 401 ? ['Bearer token-1'] : []);
      expect(requests).toBe(status === 401 ? 2 : 1);
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('UpstreamClient and writes', () => {
  it("sends a keyed POST again after Stripe's 409 'still in progress', and answers the result that attempt got", async () => {
    const seen: Array<string | undefined> = [];
    const server = createServer((req, res) => {
      seen.push(req.headers['idempotency-key'] as string | undefined);
      if (seen.length === 1) {
        res.writeHead(409, { 'content-type': 'application/json', 'stripe-should-retry': 'true' }).end('{"error":{"type":"idempotency_error"}}');
      } else res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"re_1"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new UpstreamClient({
      provider: 'stripe',
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credential: new StaticBearer('sk_test_x'),
      headers: {},
      quota: new QuotaGuard({ provider: 'stripe', limit: 100, windowMs: 1000, maxWaitMs: 0 }),
      retry: new RetryPolicy({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 1, budgetReserve: 10, sleep: async () => undefined }),
      breaker: new CircuitBreaker({ provider: 'stripe', failureRate: 0.5, windowMs: 1000, minCallsPerSecond: 1000, halfOpenAfterMs: 1000 }),
      bulkhead: { maxConcurrent: 2, maxQueued: 10 },
      attemptTimeoutMs: 5000,
      quotaMaxWaitMs: 0,
    });
    const send = (idempotent: boolean) =>
      client.request({ method: 'POST', path: '/v1/refunds', form: { charge: 'ch_1' }, headers: { 'idempotency-key': 'trib_k' }, idempotent, call: new CallContext(new UpstreamReport(), 5000) });
    const answer = await send(true);
    expect(answer).toMatchObject({ status: 200, body: { id: 're_1' }, attempts: 2 });
    expect(seen).toEqual(['trib_k', 'trib_k']);
    // Without the key (not idempotent) the same 409 is not repeated.
    seen.length = 0;
    const unkeyed = await send(false).catch((error: unknown) => error);
    expect(unkeyed).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', transient: true, mayHaveArrived: true });
    expect(seen).toHaveLength(1);
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });
});
