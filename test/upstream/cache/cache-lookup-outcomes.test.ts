import { describe, expect, it } from 'vitest';
import { ErrorCode, UpstreamError } from '../../../src/errors.ts';
import type { CacheOutcome, Telemetry } from '../../../src/telemetry.ts';
import { noTelemetry } from '../../../src/telemetry.ts';
import { defaultPolicies } from '../../../src/upstream/cache/cache-policy.ts';
import { createMemoryStore } from '../../../src/upstream/cache/cache-store.ts';
import { EntityCache, type Fetcher } from '../../../src/upstream/cache/entity-cache.ts';
import { CallContext } from '../../../src/upstream/call-context.ts';
import { UpstreamReport } from '../../../src/upstream/upstream-report.ts';
import { eventually } from '../../support/eventually.ts';

const newCall = () => new CallContext(new UpstreamReport(), 5000);
type Charge = { id: string; n: number };

/**
 * stripe.charge: fresh 30 s, then served stale while revalidating for 30 s, then refetched (and
 * served stale only if that fails) up to 10 min. Every cacheLookup call is kept, in order.
 */
function setup() {
  let now = 1_000_000;
  const lookups: Array<[CacheOutcome, number]> = [];
  const telemetry: Telemetry = { ...noTelemetry, cacheLookup: (_provider, _resource, outcome, count) => lookups.push([outcome, count]) };
  const store = createMemoryStore({ maxEntries: 1000, maxBytes: 1024 * 1024, now: () => now });
  const cache = new EntityCache({ store, policies: defaultPolicies(), maxFetchMs: 5000, onBackgroundError: () => undefined, now: () => now, telemetry });
  const calls: string[][] = [];
  let answer: 'new' | 'unchanged' | 'failure' = 'new';
  const fetcher: Fetcher<Charge> = async (ids, known) => {
    calls.push([...ids]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (answer === 'failure') throw new UpstreamError(ErrorCode.UpstreamUnavailable, 'stripe', 'down');
    if (answer === 'unchanged') return { found: new Map(), notModified: new Map([...known.keys()].map((id) => [id, {}])) };
    return { found: new Map(ids.map((id) => [id, { value: { id, n: calls.length } }])) };
  };
  const stripe = cache.scope('stripe', 'sk_test_a');
  const load = (ids: string[], call = newCall()) => stripe.load('stripe.charge', ids, fetcher, call);
  /** What was counted since the last take. */
  const take = () => lookups.splice(0);
  return { load, take, calls, advance: (ms: number) => (now += ms), answer: (next: typeof answer) => (answer = next) };
}

describe('entity cache lookups: one outcome per id looked up', () => {
  it('counts fresh entries as hits, one call for the batch', async () => {
    const t = setup();
    await t.load(['a', 'b']);
    t.take();
    await t.load(['a', 'b']);
    expect(t.take()).toEqual([['hit', 2]]);
  });

  it('counts an absent id once: miss for the load that fetched it, joined for the one that waited', async () => {
    const t = setup();
    await Promise.all([t.load(['a']), t.load(['a', 'b'])]);
    expect(t.calls).toEqual([['a'], ['b']]);
    expect(t.take()).toEqual([['miss', 1], ['joined', 1], ['miss', 1]]);
  });

  it('counts an entry past its stale-while-revalidate window, refetched with new data, as a miss', async () => {
    const t = setup();
    await t.load(['a']);
    t.take();
    t.advance(90_000);
    expect((await t.load(['a'])).get('a')).toEqual({ id: 'a', n: 2 });
    expect(t.take()).toEqual([['miss', 1]]);
  });

  it('counts an entry past its window that the provider says is unchanged as revalidated, and as stale when the refetch fails', async () => {
    const t = setup();
    await t.load(['a', 'b']);
    t.take();
    t.advance(90_000);
    t.answer('unchanged');
    await t.load(['a']);
    expect(t.take()).toEqual([['revalidated', 1]]);
    t.advance(90_000);
    t.answer('failure');
    expect((await t.load(['a', 'b'])).get('b')).toEqual({ id: 'b', n: 1 });
    expect(t.take()).toEqual([['stale', 2]]);
  });

  it('counts an entry served while revalidating as stale, and its background refresh (a 304) not at all', async () => {
    const t = setup();
    await t.load(['a']);
    t.take();
    t.advance(45_000);
    t.answer('unchanged');
    await t.load(['a']);
    expect(t.take()).toEqual([['stale', 1]]);
    await eventually(async () => t.calls.length === 2);
    // The refresh has answered; its write may still be under way: wait until a load reads it fresh.
    const later: Array<[CacheOutcome, number]> = [];
    await eventually(async () => {
      await t.load(['a']);
      later.push(...t.take());
      return later.some(([outcome]) => outcome === 'hit');
    });
    expect(later.filter(([outcome]) => outcome !== 'hit' && outcome !== 'stale')).toEqual([]);
    expect(t.calls).toHaveLength(2);
  });

  it('counts a read that must supersede the cache (after a write) as revalidated when unchanged, else as a miss', async () => {
    const t = setup();
    await t.load(['a']);
    t.take();
    t.answer('unchanged');
    await t.load(['a', 'b'], newCall().revalidating());
    expect(t.take()).toEqual([['revalidated', 1], ['miss', 1]]);
  });
});
