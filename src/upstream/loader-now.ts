import DataLoader from 'dataloader';

/**
 * A DataLoader whose keys can also be answered at once, with no promise: `now(key)` is the value
 * this operation already holds for the key, or the one `fresh(key)` finds held fresh in process
 * (EntityCache.freshNow, which counts the hit); undefined when neither: `loader.load` it then.
 *
 * Why not DataLoader alone: it answers every key with a promise dispatched in a batch a tick
 * later, so a warm page's ~450 cached entities each cost a promise, a batch entry and a promise
 * graphql-jit waits on before it can go on, most of them promoted by the young-generation
 * collections they span (docs/performance.md). A value found now is primed into the loader, so a
 * later `load` of the key in this operation gets the same value and counts nothing again, as a
 * second `load` would; a key the loader already holds as a promise (loaded, or primed by another
 * read) is left to the loader, and one it has cleared (after a write) is looked up again.
 */
export class LoaderWithNow<V> {
  readonly loader: DataLoader<string, V>;
  private readonly promised = new Map<string, Promise<V>>();
  private readonly known = new Map<string, V>();
  private readonly keyOf: (key: string) => string;

  constructor(
    batch: DataLoader.BatchLoadFn<string, V>,
    private readonly fresh: (key: string) => V | undefined,
    options: DataLoader.Options<string, V, string> = {},
  ) {
    this.keyOf = options.cacheKeyFn ?? ((key) => key);
    this.loader = new DataLoader<string, V>(batch, { ...options, cacheMap: this.promised });
  }

  now(key: string): V | undefined {
    const cacheKey = this.keyOf(key);
    if (this.promised.has(cacheKey)) return this.known.has(cacheKey) ? this.known.get(cacheKey) : undefined;
    this.known.delete(cacheKey);
    const value = this.fresh(key);
    if (value === undefined) return undefined;
    this.known.set(cacheKey, value);
    this.loader.prime(key, value);
    return value;
  }
}
