import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeSimulator, SIM_CREDENTIALS, type SimStats, type SimulatorHandle } from '../../src/simulators/index.ts';
import { StaticBearer } from '../../src/upstream/auth/credential.ts';
import { CallContext } from '../../src/upstream/call-context.ts';
import { QuotaGuard } from '../../src/upstream/quota/quota-guard.ts';
import { CircuitBreaker } from '../../src/upstream/resilience/circuit-breaker.ts';
import { RetryPolicy } from '../../src/upstream/resilience/retry-policy.ts';
import { UpstreamClient } from '../../src/upstream/upstream-client.ts';
import { UpstreamReport } from '../../src/upstream/upstream-report.ts';

/**
 * Issue 10's flood, one level below HTTP: one client asks Stripe for payment ids that do not
 * exist as fast as its thirty workers can, while another asks for something real, one call at a
 * time, through the same UpstreamClient (one bulkhead, one quota). With FIFO queues the flood
 * keeps the bulkhead's queue full and the normal client's calls are refused; with fair queues
 * each of them waits for about one slot.
 */
describe('UpstreamClient under a flood from another client of the same tenant', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await createStripeSimulator();
  });
  afterAll(() => sim.close());

  const stats = async () => (await (await fetch(`${sim.url}/_sim/stats`)).json()) as SimStats;

  it('serves every call of the normal client while the flood is refused and delayed', async () => {
    const client = new UpstreamClient({
      provider: 'stripe',
      baseUrl: sim.url,
      credential: new StaticBearer(SIM_CREDENTIALS.stripeSecretKey),
      headers: { 'stripe-version': '2025-02-24.acacia' },
      // Scarce: 3 calls per 150 ms guarded window (20/s, under the simulator's own 25/s).
      quota: new QuotaGuard({ provider: 'stripe', limit: 3, windowMs: 100, maxWaitMs: 10_000 }),
      retry: new RetryPolicy({ maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 0, budgetReserve: 0 }),
      breaker: new CircuitBreaker({ provider: 'stripe', failureRate: 0.5, windowMs: 60_000, minCallsPerSecond: 0, halfOpenAfterMs: 60_000 }),
      bulkhead: { maxConcurrent: 3, maxQueued: 20 },
      attemptTimeoutMs: 30_000,
      quotaMaxWaitMs: 10_000,
    });
    const before = await stats();
    let flooding = true;
    const flood = { answered: 0, refused: 0, other: 0 };
    let n = 0;
    const floodWorker = async () => {
      while (flooding) {
        const id = `pi_missing_${(n += 1)}`;
        const call = new CallContext(new UpstreamReport(), 30_000, 'acme/flood');
        await client.request({ method: 'GET', path: `/v1/payment_intents/${id}`, expect: [404], call }).then(
          () => void (flood.answered += 1),
          (error: { code?: string }) => void (error.code === 'UPSTREAM_UNAVAILABLE' ? (flood.refused += 1) : (flood.other += 1)),
        );
        // A refusal comes back without I/O; over HTTP it would take a turn of the event loop.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const workers = Array.from({ length: 30 }, floodWorker);
    const normal: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const call = new CallContext(new UpstreamReport(), 5_000, 'acme/normal');
      normal.push(
        await client.request({ method: 'GET', path: '/v1/charges', query: { limit: 1 }, call }).then(
          (res) => String(res.status),
          (error: { code?: string }) => String(error.code),
        ),
      );
    }
    flooding = false;
    await Promise.all(workers);
    await client.close();

    expect(normal).toEqual(Array.from({ length: 10 }, () => '200'));
    // The flood did fill the bulkhead: its own calls were the ones refused.
    expect(flood.refused).toBeGreaterThan(0);
    expect(flood.other).toBe(0);
    const after = await stats();
    const delta = (route: string, status: string) => (after.byRoute[route]?.[status] ?? 0) - (before.byRoute[route]?.[status] ?? 0);
    expect(delta('GET /v1/charges', '200')).toBe(10);
    expect(delta('GET /v1/payment_intents/:id', '404')).toBe(flood.answered);
    expect(after.rateLimited - before.rateLimited).toBe(0);
  });
});
