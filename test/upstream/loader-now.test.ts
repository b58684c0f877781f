import { describe, expect, it } from 'vitest';
import { LoaderWithNow } from '../../src/upstream/loader-now.ts';

/** A loader over `held` (what the cache holds fresh) whose batches are recorded. */
function setup(held: Map<string, string | null>) {
  const batches: string[][] = [];
  const peeked: string[] = [];
  const loader = new LoaderWithNow<string | null>(
    async (keys) => {
      batches.push([...keys]);
      return keys.map((key) => `loaded ${key}`);
    },
    (key) => {
      peeked.push(key);
      return held.get(key);
    },
    { cacheKeyFn: (key) => key.toLowerCase() },
  );
  return { loader, batches, peeked };
}

describe('LoaderWithNow', () => {
  it('answers a held key at once, once per operation, and a later load gets the same value with no batch', async () => {
    const { loader, batches, peeked } = setup(new Map([['a', 'held a'], ['gone', null]]));
    expect(loader.now('a')).toBe('held a');
    expect(loader.now('A')).toBe('held a'); // the loader's own key function
    expect(loader.now('gone')).toBeNull(); // "no such entity" is a value too
    expect(peeked).toEqual(['a', 'gone']); // each looked up (and counted) once
    expect(await loader.loader.load('a')).toBe('held a');
    expect(batches).toEqual([]);
  });

  it('leaves to the loader a key it does not hold, and one the loader already has as a promise', async () => {
    const { loader, batches, peeked } = setup(new Map([['b', 'held b']]));
    expect(loader.now('x')).toBeUndefined();
    expect(await loader.loader.load('x')).toBe('loaded x');
    const pending = loader.loader.load('b');
    expect(loader.now('b')).toBeUndefined(); // its load counts it; a peek would count it twice
    expect(await pending).toBe('loaded b');
    expect(peeked).toEqual(['x']);
    expect(batches).toEqual([['x'], ['b']]);
  });

  it('looks a key up again once the loader has cleared it (after a write)', async () => {
    const held = new Map([['c', 'old c']]);
    const { loader, peeked } = setup(held);
    expect(loader.now('c')).toBe('old c');
    loader.loader.clear('c');
    held.set('c', 'new c');
    expect(loader.now('c')).toBe('new c');
    expect(await loader.loader.load('c')).toBe('new c');
    expect(peeked).toEqual(['c', 'c']);
  });
});
