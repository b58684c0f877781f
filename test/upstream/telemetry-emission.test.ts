import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeSimulator, SIM_CREDENTIALS, type SimulatorHandle } from '../../src/simulators/index.ts';
import type { BreakerStateName, RefusalReason, Telemetry, UpstreamAttempt } from '../../src/telemetry.ts';
import { StaticBearer } from '../../src/upstream/auth/credential.ts';
import { CallContext } from '../../src/upstream/call-context.ts';
import { QuotaGuard } from '../../src/upstream/quota/quota-guard.ts';
import { CircuitBreaker } from '../../src/upstream/resilience/circuit-breaker.ts';
import { RetryPolicy } from '../../src/upstream/resilience/retry-policy.ts';
import { UpstreamClient } from '../../src/upstream/upstream-client.ts';
import { UpstreamReport } from '../../src/upstream/upstream-report.ts';

/** Keeps what the pipeline emitted, in order. */
function recorder() {
  const attempts: UpstreamAttempt[] = [];
  const refusals: RefusalReason[] = [];
  const changes: Array<[BreakerStateName, BreakerStateName]> = [];
  const telemetry: Telemetry = {
    upstreamAttempt: (attempt) => attempts.push(attempt),
    upstreamRefused: (_provider, _tenant, reason) => refusals.push(reason),
    quotaWaited: () => {},
    breakerChanged: (_provider, _tenant, from, to) => changes.push([from, to]),
    cacheLookup: () => {},
  };
  return { telemetry, attempts, refusals, changes };
}

describe('what the upstream pipeline tells telemetry', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await createStripeSimulator();
  });
  afterAll(() => sim.close());

  const fault = (body: object) => fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const client = (telemetry: Telemetry, maxAttempts: number, { quotaLimit = 1000, minCallsPerSecond = 0 } = {}) => {
    let breakerChanged: (state: { kind: string }) => void = () => {};
    const breaker = new CircuitBreaker({
      provider: 'stripe', failureRate: 0.01, windowMs: 60_000, minCallsPerSecond, halfOpenAfterMs: 60_000,
      onStateChange: (state) => breakerChanged(state),
    });
    breakerChanged = (state) => telemetry.breakerChanged('stripe', 'acme', 'closed', state.kind === 'open' ? 'open' : 'closed');
    return new UpstreamClient({
      provider: 'stripe',
      baseUrl: sim.url,
      credential: new StaticBearer(SIM_CREDENTIALS.stripeSecretKey),
      headers: { 'stripe-version': '2025-02-24.acacia' },
      quota: new QuotaGuard({ provider: 'stripe', limit: quotaLimit, windowMs: 60_000, maxWaitMs: 0 }),
      retry: new RetryPolicy({ maxAttempts, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 1, budgetReserve: 10 }),
      breaker,
      bulkhead: { maxConcurrent: 10, maxQueued: 100 },
      attemptTimeoutMs: 30_000,
      quotaMaxWaitMs: 0,
      tenant: 'acme',
      telemetry,
    });
  };
  const get = (c: UpstreamClient) =>
    c.request({ method: 'GET', path: '/v1/charges', query: { limit: 1, customer: 'cus_secret' }, resource: 'stripe.charges', call: new CallContext(new UpstreamReport(), 5000) }).catch((error: unknown) => error);

  it('reports each attempt with its status, number, resource, path without query and the provider\'s request id', async () => {
    const seen = recorder();
    const c = client(seen.telemetry, 1);
    await get(c);
    expect(seen.attempts).toEqual([
      expect.objectContaining({ provider: 'stripe', tenant: 'acme', resource: 'stripe.charges', method: 'GET', path: '/v1/charges', attempt: 1, status: 200, errorCode: undefined, providerRequestId: expect.stringMatching(/^req_/) }),
    ]);
    expect(seen.attempts[0]!.bytes).toBeGreaterThan(0);
    await c.close();
  });

  it('numbers the attempts of a retried call and names each failure', async () => {
    await fault({ outage: true });
    const seen = recorder();
    // A breaker that needs more calls than this test makes: both attempts go out.
    const c = client(seen.telemetry, 2, { minCallsPerSecond: 1000 });
    expect(await get(c)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(seen.attempts.map((a) => [a.attempt, a.status, a.errorCode])).toEqual([[1, 503, 'UPSTREAM_UNAVAILABLE'], [2, 503, 'UPSTREAM_UNAVAILABLE']]);
    expect(seen.refusals).toEqual([]);
    await c.close();
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
  });

  it('reports the breaker opening, and the calls it then refuses without an attempt', async () => {
    await fault({ outage: true });
    const seen = recorder();
    const c = client(seen.telemetry, 1);
    expect(await get(c)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', byGateway: false });
    expect(seen.changes).toEqual([['closed', 'open']]);
    expect(await get(c)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', byGateway: true });
    expect(seen.attempts).toHaveLength(1);
    expect(seen.refusals).toEqual(['breaker_open']);
    await c.close();
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
  });

  it('reports a call refused for spent quota, with no attempt', async () => {
    const seen = recorder();
    const c = client(seen.telemetry, 1, { quotaLimit: 1 });
    await get(c);
    expect(await get(c)).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', byGateway: true });
    expect(seen.attempts).toHaveLength(1);
    expect(seen.refusals).toEqual(['quota_spent']);
    await c.close();
  });
});
