import { describe, expect, it } from 'vitest';
import type { CacheOutcome, Telemetry } from '../../../src/telemetry.ts';
import { noTelemetry } from '../../../src/telemetry.ts';
import { defaultPolicies } from '../../../src/upstream/cache/cache-policy.ts';
import { createMemoryStore, type CacheStore } from '../../../src/upstream/cache/cache-store.ts';
import { createNullStore } from '../../../src/upstream/cache/null-store.ts';
import { EntityCache, type Fetcher } from '../../../src/upstream/cache/entity-cache.ts';
import { CallContext } from '../../../src/upstream/call-context.ts';
import { UpstreamReport } from '../../../src/upstream/upstream-report.ts';

type Charge = { id: string; n: number };
const fetcher: Fetcher<Charge> = async (ids) => ({ found: new Map(ids.map((id) => [id, { value: { id, n: 1 } }])) });
const same = (value: Charge | null) => value;

function setup(store: CacheStore = createMemoryStore({ maxEntries: 100, maxBytes: 1024 * 1024, now: () => now })) {
  const lookups: Array<[CacheOutcome, number]> = [];
  const telemetry: Telemetry = { ...noTelemetry, cacheLookup: (_provider, _resource, outcome, count) => lookups.push([outcome, count]) };
  const cache = new EntityCache({ store, policies: defaultPolicies(), maxFetchMs: 5000, onBackgroundError: () => undefined, now: () => now, telemetry });
  return { stripe: cache.scope('stripe', 'sk_test_a'), lookups };
}
let now = 1_000_000;

describe('EntityCache.freshNow: a fresh in-process entry at once, counted as load counts it', () => {
  it('answers a fresh entry with no promise, as a hit in the report, the answer\'s freshness and telemetry', async () => {
    const { stripe, lookups } = setup();
    await stripe.load('stripe.charge', ['ch_1'], fetcher, new CallContext(new UpstreamReport(), 5000));
    lookups.splice(0);
    const call = new CallContext(new UpstreamReport(), 5000);
    expect(stripe.freshNow('stripe.charge', 'ch_1', call, same)).toEqual({ id: 'ch_1', n: 1 });
    expect(call.report.toJSON().stripe).toMatchObject({ cacheHits: 1, cacheMisses: 0, calls: 0 });
    expect(lookups).toEqual([['hit', 1]]);
    expect(call.freshness.reusableForMs(now)).toBe(defaultPolicies()['stripe.charge'].ttlMs);
    // As a load of the same entry by another operation reports it:
    const loaded = new CallContext(new UpstreamReport(), 5000);
    await stripe.load('stripe.charge', ['ch_1'], fetcher, loaded);
    expect(loaded.report.toJSON().stripe).toEqual(call.report.toJSON().stripe);
  });

  it('leaves to load (and counts nothing) what load would not answer as a fresh hit', async () => {
    const { stripe, lookups } = setup();
    const call = () => new CallContext(new UpstreamReport(), 5000);
    expect(stripe.freshNow('stripe.charge', 'ch_absent', call(), same)).toBeUndefined();
    await stripe.load('stripe.charge', ['ch_1'], fetcher, call());
    lookups.splice(0);
    const revalidating = new CallContext(new UpstreamReport(), 5000, undefined, true);
    expect(stripe.freshNow('stripe.charge', 'ch_1', revalidating, same)).toBeUndefined();
    expect(stripe.freshNow('stripe.charge', 'ch_1', call(), () => undefined)).toBeUndefined(); // refused by the caller
    now += defaultPolicies()['stripe.charge'].ttlMs + 1; // stale: load serves it and refreshes it
    const stale = call();
    expect(stripe.freshNow('stripe.charge', 'ch_1', stale, same)).toBeUndefined();
    expect(stale.report.toJSON().stripe.cacheHits).toBe(0);
    expect(lookups).toEqual([]);
  });

  it('has nothing at once without an in-process store (CACHE_ENABLED=false)', async () => {
    const { stripe } = setup(createNullStore());
    await stripe.load('stripe.charge', ['ch_1'], fetcher, new CallContext(new UpstreamReport(), 5000));
    expect(stripe.freshNow('stripe.charge', 'ch_1', new CallContext(new UpstreamReport(), 5000), same)).toBeUndefined();
  });
});
