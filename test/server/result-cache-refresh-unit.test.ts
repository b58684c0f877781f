import { parse } from 'graphql';
import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.ts';
import type { OperationContext } from '../../src/server/operation-context.ts';
import { answerKeyOf, ResultCache } from '../../src/server/result-cache.ts';
import { AnswerRefresher } from '../../src/server/result-cache-refresh.ts';
import { CallContext } from '../../src/upstream/call-context.ts';
import { UpstreamReport } from '../../src/upstream/upstream-report.ts';

const principal = { tenantId: 't', clientId: 'c', scopes: new Set<string>() } as unknown as Principal;

/** A refresher whose runs wait for `release`; each run's answer is fresh for `ttlMs` (of a 30 s ttl). */
function setup(options: { result?: ExecutionResult; ttlMs?: number } = {}) {
  let now = 1_000_000;
  const cache = new ResultCache({ maxBytes: 1024 * 1024, now: () => now });
  const pending: Array<() => void> = [];
  const ran: Array<{ variables: unknown; operationName: string | null }> = [];
  const outcomes: string[] = [];
  const refresher = new AnswerRefresher({
    cache,
    maxConcurrent: 2,
    onOutcome: (outcome) => outcomes.push(outcome),
    contextFor: () => ({ call: new CallContext(new UpstreamReport(), 5000) }) as unknown as OperationContext,
    executor: async ({ contextValue, variables, operationName }) => {
      ran.push({ variables, operationName });
      await new Promise<void>((resolve) => pending.push(resolve));
      (contextValue as OperationContext).call.freshness.freshUntil(now + (options.ttlMs ?? 30_000), 30_000);
      return options.result ?? { data: { a: ran.length } };
    },
  });
  /** Keeps `{"a":0}` for `query` as a request would: for 30 s, due in its last 5 s, with its document. */
  const keep = (query: string, variables?: Record<string, unknown>) => {
    const key = answerKeyOf({ query, variables })!;
    const ticket = cache.ticket(key);
    cache.set(ticket, { data: Buffer.from('{"data":{"a":0}'), estimate: '{"calls":1}' }, 30_000, 5_000);
    refresher.remember(ticket, parse(query));
    return key;
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    cache, refresher, keep, ran, outcomes,
    tick: (ms: number) => (now += ms),
    release: async () => {
      await settle();
      for (const resolve of pending.splice(0)) resolve();
      await refresher.settled();
    },
    settle,
  };
}

describe('ResultCache.refreshDue', () => {
  it('is due in the last stretch of an answer kept with a refresh window, never for one without', () => {
    const { cache, keep, tick } = setup();
    const key = keep('{ a }');
    const other = answerKeyOf({ query: '{ b }' })!;
    cache.set(cache.ticket(other), { data: Buffer.from('{"data":{"b":0}'), estimate: undefined }, 30_000);
    tick(24_999);
    expect(cache.refreshDue(cache.get(key)!)).toBe(false);
    tick(1);
    expect(cache.refreshDue(cache.get(key)!)).toBe(true);
    expect(cache.refreshDue(cache.get(other)!)).toBe(false);
  });

  it('splits a key back into what made it', () => {
    const key = answerKeyOf({ query: 'query Q($n: Int) { a(n: $n) }', operationName: 'Q', variables: { n: 1, s: 'x\u0000y' } }, 'tenant\nscope')!;
    expect(ResultCache.partsOf(key)).toMatchObject({ partition: 'tenant\nscope', operationName: 'Q', variables: { n: 1, s: 'x\u0000y' } });
  });
});

describe('AnswerRefresher', () => {
  it('runs the document with the key\'s variables and replaces the kept answer, with its estimate and a new end', async () => {
    const { cache, refresher, keep, tick, release, ran } = setup();
    const key = keep('query Q($n: Int) { a(n: $n) }', { n: 7 });
    tick(26_000);
    refresher.due(key, cache.get(key)!, principal);
    await release();
    expect(ran).toEqual([{ variables: { n: 7 }, operationName: null }]);
    const kept = cache.get(key)!;
    expect(kept.data?.toString()).toBe('{"data":{"a":1}');
    expect(kept.estimate).toBe('{"calls":1}');
    expect(cache.refreshDue(kept)).toBe(false);
    tick(20_000); // past the first answer's end, within the new one's
    expect(cache.get(key)?.data?.toString()).toBe('{"data":{"a":1}');
  });

  it('runs one refresh per key, at most maxConcurrent at once, and tries a kept answer once, whichever copy is replayed', async () => {
    const { cache, refresher, keep, tick, release, ran, outcomes } = setup({ result: { data: null, errors: [] } });
    const keys = ['{ a }', '{ b }', '{ c }'].map((query) => keep(query));
    tick(26_000);
    for (const key of [...keys, keys[0]!]) refresher.due(key, cache.get(key)!, principal);
    await release();
    expect(ran.length).toBe(2);
    expect(outcomes.sort()).toEqual(['dropped', 'dropped', 'skipped']);
    // Failed (no data): kept as it was, and not tried again, even through a copy of the entry
    // (a replay with another closing keeps one in its place).
    const copy = cache.answerWith(keys[0]!, cache.get(keys[0]!)!, Buffer.from('}\n'));
    expect(copy.toString()).toBe('{"data":{"a":0}}\n');
    expect(cache.refreshDue(cache.get(keys[0]!)!)).toBe(false);
    refresher.due(keys[0]!, cache.get(keys[0]!)!, principal);
    await release();
    expect(ran.length).toBe(2);
    // The third was skipped while two ran: a later replay in its window starts it.
    refresher.due(keys[2]!, cache.get(keys[2]!)!, principal);
    await release();
    expect(ran.length).toBe(3);
  });

  it('keeps nothing built while the cache was cleared (an invalidation)', async () => {
    const { cache, refresher, keep, tick, release } = setup();
    const key = keep('{ a }');
    tick(26_000);
    refresher.due(key, cache.get(key)!, principal);
    cache.clear();
    await release();
    expect(cache.get(key)).toBeUndefined();
  });

  it('asks for no further refresh when its run ended inside the window (a slow run), and runs nothing before the replay is sent', async () => {
    const { cache, refresher, keep, tick, release, ran } = setup({ ttlMs: 4_000 });
    const key = keep('{ a }');
    tick(26_000);
    refresher.due(key, cache.get(key)!, principal);
    expect(ran.length).toBe(0); // the run starts after the replaying hook returns
    await release();
    const kept = cache.get(key)!;
    expect(kept.data?.toString()).toBe('{"data":{"a":1}');
    expect(kept.refresh).toBeUndefined();
  });

  it('lets an answer whose document it no longer holds expire', async () => {
    const { cache, refresher, tick, release, ran } = setup();
    const key = answerKeyOf({ query: '{ z }' })!;
    cache.set(cache.ticket(key), { data: Buffer.from('{"data":{"z":0}'), estimate: undefined }, 30_000, 5_000);
    tick(26_000);
    refresher.due(key, cache.get(key)!, principal);
    await release();
    expect(ran.length).toBe(0);
  });
});
