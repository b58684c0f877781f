import { parse, type OperationDefinitionNode } from 'graphql';
import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.ts';
import type { OperationContext } from '../../src/server/operation-context.ts';
import { ResultCache } from '../../src/server/result-cache.ts';
import { AnswerRefresher, type AnswerRecipe } from '../../src/server/result-cache-refresh.ts';
import { CallContext } from '../../src/upstream/call-context.ts';
import { UpstreamReport } from '../../src/upstream/upstream-report.ts';

const document = parse('{ a }');
const recipe: AnswerRecipe = { document, operation: document.definitions[0] as OperationDefinitionNode, operationName: null, variables: undefined };
const principal = { tenantId: 't', clientId: 'c', scopes: new Set<string>() } as unknown as Principal;

/** A refresher whose runs wait for `release`, each fresh for `ttlMs` of the clock. */
function setup(options: { result?: ExecutionResult; ttlMs?: number } = {}) {
  let now = 1_000_000;
  const cache = new ResultCache({ maxBytes: 1024 * 1024, now: () => now });
  const pending: Array<() => void> = [];
  let runs = 0;
  const refresher = new AnswerRefresher({
    cache,
    maxConcurrent: 2,
    contextFor: () => ({ call: new CallContext(new UpstreamReport(), 5000) }) as unknown as OperationContext,
    executor: async ({ contextValue }) => {
      runs += 1;
      await new Promise<void>((resolve) => pending.push(resolve));
      (contextValue as OperationContext).call.freshness.freshUntil(now + (options.ttlMs ?? 30_000), 30_000);
      return options.result ?? { data: { a: runs } };
    },
  });
  const keep = (key: string) => cache.set(cache.ticket(key), { data: Buffer.from('{"data":{"a":0}'), estimate: '{"calls":1}', recipe }, 30_000, 5_000);
  return {
    cache, refresher, keep,
    tick: (ms: number) => (now += ms),
    release: async () => {
      for (const resolve of pending.splice(0)) resolve();
      await refresher.settled();
    },
    runs: () => runs,
  };
}

describe('ResultCache.refreshDue', () => {
  it('is due in the last stretch of an answer with a recipe, never for one without', () => {
    const { cache, keep, tick } = setup();
    const key = cache.keyOf({ query: '{ a }' })!;
    keep(key);
    const other = cache.keyOf({ query: '{ b }' })!;
    cache.set(cache.ticket(other), { data: Buffer.from('{"data":{"b":0}'), estimate: undefined }, 30_000, 5_000);
    tick(24_999);
    expect(cache.refreshDue(cache.get(key)!)).toBe(false);
    tick(1);
    expect(cache.refreshDue(cache.get(key)!)).toBe(true);
    expect(cache.refreshDue(cache.get(other)!)).toBe(false);
  });
});

describe('AnswerRefresher', () => {
  it('replaces the kept answer with the one it builds, with its estimate and a new end', async () => {
    const { cache, refresher, keep, tick, release } = setup();
    const key = cache.keyOf({ query: '{ a }' })!;
    keep(key);
    tick(26_000);
    refresher.due(key, cache.get(key)!, principal);
    await release();
    const kept = cache.get(key)!;
    expect(kept.data?.toString()).toBe('{"data":{"a":1}');
    expect(kept.estimate).toBe('{"calls":1}');
    expect(cache.refreshDue(kept)).toBe(false);
    tick(20_000); // past the first answer's end, within the new one's
    expect(cache.get(key)?.data?.toString()).toBe('{"data":{"a":1}');
  });

  it('runs one refresh per key, at most maxConcurrent at once, and tries each kept answer once', async () => {
    const { cache, refresher, keep, tick, release, runs } = setup({ result: { data: null, errors: [] } });
    const keys = ['{ a }', '{ b }', '{ c }'].map((query) => cache.keyOf({ query })!);
    for (const key of keys) keep(key);
    tick(26_000);
    for (const key of [...keys, keys[0]!]) refresher.due(key, cache.get(key)!, principal);
    expect(runs()).toBe(2);
    await release();
    // Failed (no data): kept as it was, and not tried again.
    refresher.due(keys[0]!, cache.get(keys[0]!)!, principal);
    expect(runs()).toBe(2);
    expect(cache.get(keys[0]!)?.data?.toString()).toBe('{"data":{"a":0}');
  });

  it('keeps nothing built while the cache was cleared (an invalidation)', async () => {
    const { cache, refresher, keep, tick, release } = setup();
    const key = cache.keyOf({ query: '{ a }' })!;
    keep(key);
    tick(26_000);
    refresher.due(key, cache.get(key)!, principal);
    cache.clear();
    await release();
    expect(cache.get(key)).toBeUndefined();
  });
});
