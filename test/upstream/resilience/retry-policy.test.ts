import { describe, expect, it } from 'vitest';
import { ErrorCode, UpstreamError } from '../../../src/errors.ts';
import { CallContext } from '../../../src/upstream/call-context.ts';
import { budgetSpent } from '../../../src/upstream/quota/quota-guard.ts';
import { RetryPolicy, type RetryOptions } from '../../../src/upstream/resilience/retry-policy.ts';
import { UpstreamReport } from '../../../src/upstream/upstream-report.ts';
import { SeededRandom } from '../../../src/simulators/dataset/seeded-random.ts';

/** The simulators' seeded generator, so that the jitter is the same on every run. */
function seeded(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** A policy on a clock the test moves; its sleeps move the clock instead of waiting. */
function policy(options: Partial<RetryOptions> = {}) {
  const clock = { now: 0, slept: [] as number[] };
  const retry = new RetryPolicy({
    maxAttempts: 3,
    baseDelayMs: 50,
    maxDelayMs: 1000,
    budgetRatio: 0.5,
    budgetReserve: 0,
    now: () => clock.now,
    random: seeded(42),
    sleep: async (ms) => {
      clock.slept.push(ms);
      clock.now += ms;
    },
    ...options,
  });
  return { retry, clock };
}

const call = () => new CallContext(new UpstreamReport(), 60_000);
const unavailable = () => new UpstreamError(ErrorCode.UpstreamUnavailable, 'stripe', 'stripe is unavailable (HTTP 503)', { transient: true });

/** Runs `requests` calls one after another that always fail; resolves with the attempts made. */
async function failingCalls(retry: RetryPolicy, requests: number, error: () => Error = unavailable): Promise<number> {
  let attempts = 0;
  for (let i = 0; i < requests; i += 1) {
    await retry
      .run(call(), true, async () => {
        attempts += 1;
        throw error();
      })
      .catch(() => undefined);
  }
  return attempts;
}

async function succeedingCalls(retry: RetryPolicy, requests: number): Promise<void> {
  for (let i = 0; i < requests; i += 1) await retry.run(call(), true, async () => 'ok');
}

describe('RetryPolicy', () => {
  it('retries a transient failure within the budget, with jittered backoff', async () => {
    const { retry, clock } = policy({ budgetReserve: 5 });
    let attempts = 0;
    const answer = await retry.run(call(), true, async () => {
      attempts += 1;
      if (attempts < 3) throw unavailable();
      return 'ok';
    });
    expect(answer).toBe('ok');
    expect(attempts).toBe(3);
    expect(clock.slept).toHaveLength(2);
    expect(clock.slept[0]).toBeLessThan(100); // random(0, min(1000, 50·2¹))
    expect(clock.slept[1]).toBeLessThan(200); // random(0, min(1000, 50·2²))
  });

  it('keeps retries within reserve + ratio · requests over one window', async () => {
    const { retry } = policy({ budgetRatio: 0.5, budgetReserve: 2 });
    await succeedingCalls(retry, 20); // +10 tokens
    const attempts = await failingCalls(retry, 10); // +5 tokens, up to 20 retries wanted
    expect(attempts - 10).toBe(2 + 0.5 * 30);
  });

  it('lets deposits decay: after a quiet period, a burst of traffic does not buy retries for the next outage', async () => {
    const { retry, clock } = policy({ budgetRatio: 0.5, budgetReserve: 0, budgetWindowMs: 10_000 });
    await succeedingCalls(retry, 100); // a busy minute deposits 50 tokens…
    expect(retry.available).toBe(50);
    clock.now += 60 * 60 * 1000; // …then an hour of silence
    expect(retry.available).toBe(0);
    // The outage starts: 10 requests earn 5 retries, not the 50 banked an hour ago.
    const attempts = await failingCalls(retry, 10);
    expect(attempts).toBe(15);
  });

  it('counts withdrawals in the window too: once they expire, the reserve is whole again', async () => {
    const { retry, clock } = policy({ budgetRatio: 0, budgetReserve: 3, budgetWindowMs: 1000 });
    expect(await failingCalls(retry, 5)).toBe(5 + 3);
    expect(retry.available).toBe(0);
    clock.now += 1000;
    expect(retry.available).toBe(3);
  });

  it('never retries a quota refusal of the gateway\'s own, and spends no retry token on it', async () => {
    const { retry, clock } = policy({ budgetRatio: 0, budgetReserve: 1 });
    const refusal = budgetSpent('stripe', 500); // UPSTREAM_RATE_LIMITED, retryAfter 1, byGateway
    let attempts = 0;
    await expect(
      retry.run(call(), true, async () => {
        attempts += 1;
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(attempts).toBe(1);
    expect(clock.slept).toEqual([]);
    expect(retry.available).toBe(1);
    // The token is still there for a failure that a retry can fix.
    expect(await failingCalls(retry, 1)).toBe(2);
  });

  it('never retries any failure the gateway caused itself (deadline, bulkhead, open circuit)', async () => {
    const { retry } = policy({ budgetRatio: 0, budgetReserve: 10 });
    const ownFailure = () => new UpstreamError(ErrorCode.UpstreamUnavailable, 'stripe', 'too many calls to stripe in flight', { transient: true, byGateway: true });
    expect(await failingCalls(retry, 3, ownFailure)).toBe(3);
    expect(retry.available).toBe(10);
  });

  it('honours a provider\'s Retry-After on its own 429', async () => {
    const { retry, clock } = policy({ budgetReserve: 1 });
    const limited = () => new UpstreamError(ErrorCode.UpstreamRateLimited, 'stripe', 'stripe is rate limiting the gateway', { retryAfter: 2 });
    expect(await failingCalls(retry, 1, limited)).toBe(2);
    expect(clock.slept).toEqual([2000]);
  });

  it('does not retry unsafe requests', async () => {
    const { retry } = policy({ budgetReserve: 10 });
    let attempts = 0;
    await retry.run(call(), false, async () => {
      attempts += 1;
      throw unavailable();
    }).catch(() => undefined);
    expect(attempts).toBe(1);
  });

  it('refuses a nonsensical configuration, naming the option', () => {
    expect(() => policy({ maxAttempts: 0 })).toThrow('maxAttempts must be an integer of at least 1: 0');
    expect(() => policy({ budgetRatio: -1 })).toThrow(TypeError);
    expect(() => policy({ budgetWindowMs: 0 })).toThrow('budgetWindowMs must be a positive number: 0');
  });
});
