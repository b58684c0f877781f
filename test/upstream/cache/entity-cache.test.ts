import { describe, expect, it } from 'vitest';
import { ErrorCode, UpstreamError } from '../../../src/errors.ts';
import { defaultPolicies, parsePolicyOverrides } from '../../../src/upstream/cache/cache-policy.ts';
import { createMemoryStore } from '../../../src/upstream/cache/cache-store.ts';
import { createNullStore } from '../../../src/upstream/cache/null-store.ts';
import { EntityCache, type Fetcher } from '../../../src/upstream/cache/entity-cache.ts';
import { CallContext } from '../../../src/upstream/call-context.ts';
import { UpstreamReport } from '../../../src/upstream/upstream-report.ts';

const newCall = () => new CallContext(new UpstreamReport(), 5000);

// stripe.charge: ttl 30 s, swr 30 s, maxStale 10 min; customers.customer: ttl 60 s, no swr.
function setup() {
  let now = 1_000_000;
  const backgroundErrors: unknown[] = [];
  const store = createMemoryStore({ maxEntries: 1000, maxBytes: 1024 * 1024, now: () => now });
  const cache = new EntityCache({ store, policies: defaultPolicies(), maxFetchMs: 5000, onBackgroundError: (e) => backgroundErrors.push(e), now: () => now });
  const calls: string[][] = [];
  let failWith: Error | undefined;
  const fetcher: Fetcher<{ id: string; n: number }> = async (ids) => {
    calls.push([...ids]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (failWith) throw failWith;
    return { found: new Map(ids.map((id) => [id, { value: id === 'gone' ? null : { id, n: calls.length } }])) };
  };
  return {
    cache,
    store,
    calls,
    fetcher,
    backgroundErrors,
    advance: (ms: number) => (now += ms),
    fail: (error: Error | undefined) => (failWith = error),
  };
}

const unavailable = () => new UpstreamError(ErrorCode.UpstreamUnavailable, 'stripe', 'down');

describe('EntityCache', () => {
  it('fills one entry per entity, so the next batch fetches only the misses', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    const call = newCall();
    const report = call.report;
    await stripe.load('stripe.charge', ['a', 'b', 'gone'], t.fetcher, call);
    const second = await stripe.load('stripe.charge', ['a', 'b', 'c', 'gone'], t.fetcher, call);
    expect(t.calls).toEqual([['a', 'b', 'gone'], ['c']]);
    expect(second.get('gone')).toBeNull();
    expect(report.toJSON().stripe).toMatchObject({ cacheHits: 3, cacheMisses: 4 });
  });

  it('serves stale-while-revalidate at once and refreshes in the background', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    await stripe.load('stripe.charge', ['a'], t.fetcher, newCall());
    t.advance(45_000);
    const call = newCall();
    const report = call.report;
    const answer = await stripe.load('stripe.charge', ['a'], t.fetcher, call);
    expect(answer.get('a')).toEqual({ id: 'a', n: 1 });
    expect(report.toJSON().stripe).toMatchObject({ stale: 1, maxStaleAgeMs: 45_000, calls: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.calls).toHaveLength(2);
    expect((await stripe.load('stripe.charge', ['a'], t.fetcher, newCall())).get('a')).toEqual({ id: 'a', n: 2 });
  });

  it('answers stale when the provider fails, within the maximum staleness only', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    await stripe.load('stripe.charge', ['a'], t.fetcher, newCall());
    t.fail(unavailable());
    t.advance(5 * 60_000);
    const call = newCall();
    const report = call.report;
    expect((await stripe.load('stripe.charge', ['a'], t.fetcher, call)).get('a')).toEqual({ id: 'a', n: 1 });
    expect(report.toJSON().stripe.stale).toBe(1);
    t.advance(6 * 60_000);
    const tooOld = await stripe.load('stripe.charge', ['a'], t.fetcher, newCall());
    expect(tooOld.get('a')).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('shares one in-flight fetch between concurrent readers of the same entity', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    const [one, two] = await Promise.all([
      stripe.load('stripe.charge', ['a', 'b'], t.fetcher, newCall()),
      stripe.load('stripe.charge', ['b', 'c'], t.fetcher, newCall()),
    ]);
    expect(t.calls).toEqual([['a', 'b'], ['c']]);
    expect(one.get('b')).toEqual(two.get('b'));
  });

  it('revalidates with validators: an unchanged answer freshens the entry without a body', async () => {
    const t = setup();
    const customers = t.cache.scope('customers', 'token');
    const seenKnown: string[] = [];
    const fetcher: Fetcher<{ id: string }> = async (ids, known) => {
      seenKnown.push(...[...known.values()].map((entry) => entry.etag ?? '-'));
      if (known.size > 0) return { found: new Map(), notModified: new Map(ids.map((id) => [id, {}])) };
      return { found: new Map(ids.map((id) => [id, { value: { id }, etag: `W/"${id}-v1"` }])) };
    };
    await customers.load('customers.customer', ['x'], fetcher, newCall());
    t.advance(61_000);
    const call = newCall();
    const report = call.report;
    expect((await customers.load('customers.customer', ['x'], fetcher, call)).get('x')).toEqual({ id: 'x' });
    expect(seenKnown).toEqual(['W/"x-v1"']);
    expect(report.toJSON().customers).toMatchObject({ revalidated: 1, bytesSaved: JSON.stringify({ id: 'x' }).length });
    t.advance(30_000);
    await customers.load('customers.customer', ['x'], fetcher, newCall());
    expect(seenKnown).toHaveLength(1); // fresh again after the 304
  });

  it('keeps tenants apart, and keys never contain the credential', async () => {
    const t = setup();
    await t.cache.scope('stripe', 'sk_test_tenantA').load('stripe.charge', ['a'], t.fetcher, newCall());
    await t.cache.scope('stripe', 'sk_test_tenantB').load('stripe.charge', ['a'], t.fetcher, newCall());
    expect(t.calls).toEqual([['a'], ['a']]);
    const key = t.cache.key('stripe', 'fp', 'stripe.charge', 'a');
    expect(key).toBe('v2:{stripe:fp}:charge:a');
  });

  it('forgets an invalidated entity', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    await stripe.load('stripe.charge', ['a'], t.fetcher, newCall());
    await t.cache.invalidate({ keys: [stripe.keyOf('stripe.charge', 'a')] });
    await stripe.load('stripe.charge', ['a'], t.fetcher, newCall());
    expect(t.calls).toHaveLength(2);
  });

  it('does not let a fetch begun before an invalidation store its answer after it: the next read is fresh', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    let version = 'old';
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Fetcher<{ id: string; v: string }> = async (ids) => {
      const v = version;
      await gate;
      return { found: new Map(ids.map((id) => [id, { value: { id, v } }])) };
    };
    const quick: Fetcher<{ id: string; v: string }> = async (ids) => ({ found: new Map(ids.map((id) => [id, { value: { id, v: version } }])) });

    const before = stripe.load('stripe.charge', ['a'], slow, newCall());
    await new Promise((resolve) => setImmediate(resolve)); // the fetch is under way
    version = 'new';
    await t.cache.invalidate({ keys: [stripe.keyOf('stripe.charge', 'a')] });
    t.advance(100);
    // A read after the invalidation does not join the fetch begun before it.
    const after = await stripe.load('stripe.charge', ['a'], quick, newCall());
    expect(after.get('a')).toEqual({ id: 'a', v: 'new' });
    release();
    expect((await before).get('a')).toEqual({ id: 'a', v: 'old' }); // it answers what it fetched...
    // ...but does not overwrite what came after the invalidation.
    const next = await stripe.load('stripe.charge', ['a'], slow, newCall());
    expect(next.get('a')).toEqual({ id: 'a', v: 'new' });
  });

  it('does not let a fetch begun before a clear store its answer after it', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Fetcher<{ id: string; n: number }> = async (ids) => {
      await gate;
      return t.fetcher(ids, new Map(), newCall());
    };
    const before = stripe.load('stripe.charge', ['a'], slow, newCall());
    await new Promise((resolve) => setImmediate(resolve));
    await t.cache.invalidate({ all: true });
    t.advance(100);
    release();
    await before;
    await stripe.load('stripe.charge', ['a'], t.fetcher, newCall());
    expect(t.calls).toEqual([['a'], ['a']]); // the second read found nothing cached: it fetched again
  });
});

describe('cache policies', () => {
  it('reads overrides in seconds and refuses unknown resources, naming them', () => {
    const policies = parsePolicyOverrides('stripe.charges=10/0/300, hubspot.deal=120');
    expect(policies['stripe.charges']).toEqual({ ttlMs: 10_000, swrMs: 0, maxStaleMs: 300_000 });
    expect(policies['hubspot.deal'].ttlMs).toBe(120_000);
    expect(() => parsePolicyOverrides('stripe.refunds=5')).toThrow(/stripe\.refunds=5/);
    expect(() => parsePolicyOverrides('stripe.charge=5/60/10')).toThrow(/maxStale must be at least swr/);
  });
});

describe('EntityCache.apply (events)', () => {
  it('replaces a cached entity with the state an event carries, so the next read costs no call', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    await stripe.load('stripe.charge', ['a'], t.fetcher, newCall());
    t.advance(40_000); // past the ttl: the event's state is fresh again
    expect(await stripe.apply<{ id: string; n: number }>('stripe.charge', 'a', (cached) => ({ replace: { id: 'a', n: (cached?.n ?? 0) + 100 } }))).toBe('applied');
    const call = newCall();
    expect((await stripe.load('stripe.charge', ['a'], t.fetcher, call)).get('a')).toEqual({ id: 'a', n: 101 });
    expect(t.calls).toEqual([['a']]);
    expect(call.report.toJSON().stripe).toMatchObject({ cacheHits: 1 });
  });

  it('leaves an entry that already reflects the event, and drops one it cannot order', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    await stripe.load('stripe.charge', ['a', 'b'], t.fetcher, newCall());
    expect(await stripe.apply('stripe.charge', 'a', () => 'current')).toBe('current');
    expect(await stripe.apply('stripe.charge', 'b', () => 'unknown')).toBe('invalidated');
    expect(await stripe.apply('stripe.charge', 'never-read', () => ({ replace: { id: 'x', n: 0 } }))).toBe('absent');
    await stripe.load('stripe.charge', ['a', 'b', 'never-read'], t.fetcher, newCall());
    expect(t.calls).toEqual([['a', 'b'], ['b', 'never-read']]);
  });

  it('keeps the applied state when a fetch begun before the event finishes after it', async () => {
    const t = setup();
    const stripe = t.cache.scope('stripe', 'sk_test_a');
    await stripe.load('stripe.charge', ['a'], t.fetcher, newCall());
    t.advance(40_000);
    let release!: () => void;
    const slow: Fetcher<{ id: string; n: number }> = async (ids) => {
      await new Promise<void>((resolve) => (release = resolve));
      return { found: new Map(ids.map((id) => [id, { value: { id, n: -1 } }])) };
    };
    t.advance(31_000); // stale: the next read refetches
    const reading = stripe.load('stripe.charge', ['a'], slow, newCall());
    await eventuallyDefined(() => release);
    expect(await stripe.apply<{ id: string; n: number }>('stripe.charge', 'a', () => ({ replace: { id: 'a', n: 7 } }))).toBe('applied');
    release();
    await reading;
    expect((await stripe.load('stripe.charge', ['a'], t.fetcher, newCall())).get('a')).toEqual({ id: 'a', n: 7 });
  });

  it('writes nothing to a store that remembers nothing (CACHE_ENABLED=false), and still answers and shares fetches in flight', async () => {
    const writes: string[] = [];
    const store = { ...createNullStore(), set: async (key: string) => void writes.push(key), apply: async (key: string) => (writes.push(key), false) };
    const stripe = new EntityCache({ store, policies: defaultPolicies(), maxFetchMs: 5000, onBackgroundError: () => {} }).scope('stripe', 'sk_test_a');
    let calls = 0;
    const fetcher: Fetcher<{ id: string }> = async (ids) => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { found: new Map(ids.map((id) => [id, { value: { id } }])), related: [{ resource: 'stripe.charge', id: 'other', entity: { value: { id: 'other' } } }] };
    };
    const [a, b] = await Promise.all([stripe.load('stripe.charge', ['x'], fetcher, newCall()), stripe.load('stripe.charge', ['x'], fetcher, newCall())]);
    expect(a.get('x')).toEqual({ id: 'x' });
    expect(b.get('x')).toEqual({ id: 'x' });
    expect(calls).toBe(1);
    expect(writes).toEqual([]);
  });
});

async function eventuallyDefined(probe: () => unknown): Promise<void> {
  for (let i = 0; i < 100 && probe() === undefined; i += 1) await new Promise((resolve) => setTimeout(resolve, 1));
}
