import { describe, expect, it } from 'vitest';
import { AnswerFreshness } from '../../../src/upstream/answer-freshness.ts';
import { defaultPolicies } from '../../../src/upstream/cache/cache-policy.ts';
import { createMemoryStore } from '../../../src/upstream/cache/cache-store.ts';
import { EntityCache, type Fetcher } from '../../../src/upstream/cache/entity-cache.ts';
import { CallContext } from '../../../src/upstream/call-context.ts';
import { UpstreamReport } from '../../../src/upstream/upstream-report.ts';

type Charge = { id: string; n: number };
let now = 1_000_000;
let fetched: string[] = [];
let version = 1;
const fetcher: Fetcher<Charge> = async (ids) => {
  fetched.push(...ids);
  return { found: new Map(ids.map((id) => [id, { value: { id, n: version } }])) };
};
const TTL = defaultPolicies()['stripe.charge'].ttlMs; // 30 s

function setup() {
  fetched = [];
  version = 1;
  const store = createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024, now: () => now });
  const cache = new EntityCache({ store, policies: defaultPolicies(), maxFetchMs: 5000, onBackgroundError: () => undefined, now: () => now });
  return cache.scope('stripe', 'sk_test_a');
}
const call = () => new CallContext(new UpstreamReport(), 5000);
const refreshing = () => new CallContext(new UpstreamReport(), 5000, '', false, undefined, true);

describe('a refreshing run (CallContext.refreshAhead) fetches what stops being fresh soon', () => {
  it('fetches entries with less than a third of their ttl left, uses the others, and builds an answer fresh for longer', async () => {
    const stripe = setup();
    await stripe.load('stripe.charge', ['ch_old'], fetcher, call());
    now += TTL / 2;
    await stripe.load('stripe.charge', ['ch_new'], fetcher, call());
    now += TTL / 4; // ch_old: a quarter of its ttl left (due); ch_new: three quarters (not)
    fetched = [];
    version = 2;
    const run = refreshing();
    const values = await stripe.load('stripe.charge', ['ch_old', 'ch_new'], fetcher, run);
    expect(fetched).toEqual(['ch_old']);
    expect(values.get('ch_old')).toEqual({ id: 'ch_old', n: 2 });
    expect(values.get('ch_new')).toEqual({ id: 'ch_new', n: 1 });
    // Bounded by ch_new now (three quarters of its ttl), no longer by ch_old's quarter.
    expect(run.freshness.reusableForMs(now)).toBe((3 * TTL) / 4);

    // An ordinary read of the same entries fetches nothing.
    fetched = [];
    now += 1;
    await stripe.load('stripe.charge', ['ch_old', 'ch_new'], fetcher, call());
    expect(fetched).toEqual([]);
  });

  it('is not answered at once (freshNow) by an entry due for refresh, and is by one that is not', async () => {
    const stripe = setup();
    await stripe.load('stripe.charge', ['ch_1'], fetcher, call());
    now += TTL / 2;
    expect(stripe.freshNow('stripe.charge', 'ch_1', refreshing(), (value: Charge | null) => value)).toEqual({ id: 'ch_1', n: 1 });
    now += TTL / 4;
    expect(stripe.freshNow('stripe.charge', 'ch_1', refreshing(), (value: Charge | null) => value)).toBeUndefined();
    expect(stripe.freshNow('stripe.charge', 'ch_1', call(), (value: Charge | null) => value)).toEqual({ id: 'ch_1', n: 1 });
  });
});

describe('AnswerFreshness.refreshWithinMs', () => {
  it('is half the refresh lead of the shortest ttl used, so a refreshed answer outlives it', () => {
    const freshness = new AnswerFreshness();
    expect(freshness.refreshWithinMs).toBeUndefined();
    freshness.freshUntil(now + 60_000, 60_000);
    freshness.freshUntil(now + 20_000, 30_000);
    expect(freshness.refreshWithinMs).toBe(5_000);
    expect(freshness.reusableForMs(now)).toBe(20_000);
  });
});
