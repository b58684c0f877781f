import { createHash } from 'node:crypto';
import type { ProviderName } from '../../errors.ts';
import type { CallContext } from '../call-context.ts';
import { freshnessOf, type CacheEntry } from './cache-entry.ts';
import { RESOURCES, type CachePolicies, type ResourceName } from './cache-policy.ts';
import type { CacheStore } from './cache-store.ts';

/** Bumped when the shape of cached values changes, so old entries are never read. */
const KEY_VERSION = 'v1';

export interface FetchedEntity<V> {
  value: V | null;
  etag?: string;
}

export interface FetchResult<V> {
  /** What the provider answered per id: the entity, null for "no such entity", or its own error. */
  found: Map<string, FetchedEntity<V> | Error>;
  /** Ids the provider confirmed unchanged (304, or a batch's `notModified`). */
  notModified?: ReadonlyMap<string, { etag?: string }>;
}

/** Fetches ids from the provider; `known` holds the entries (with validators) already cached. */
export type Fetcher<V> = (ids: string[], known: ReadonlyMap<string, CacheEntry<V>>, call: CallContext) => Promise<FetchResult<V>>;

export interface EntityCacheOptions {
  store: CacheStore;
  policies: CachePolicies;
  /** Where a background refresh reports its failures (they reach no client). */
  onBackgroundError: (error: unknown) => void;
  now?: () => number;
}

/**
 * The shared entity cache: one entry per entity (a customer, a customer's charge list, a HubSpot
 * contact), so a batch answer fills one entry each and the next batch fetches only the misses.
 * Written here rather than taken from undici's cache interceptor because that caches whole HTTP
 * responses by URL: a batch POST is not cacheable there, and one changed id would refetch all.
 *
 * Around each fetch: entries are fresh, stale-while-revalidate (served, refreshed in the
 * background), stale (refetched, served only if the provider fails) or gone; concurrent reads of
 * the same entity share one in-flight fetch (single flight), across GraphQL requests.
 */
export class EntityCache {
  private readonly inflight = new Map<string, Promise<FetchedEntity<unknown>>>();
  private readonly now: () => number;

  constructor(private readonly options: EntityCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get storeKind(): CacheStore['kind'] | 'off' {
    return this.options.store.kind;
  }

  /** A view of the cache for one provider credential: its keys carry the credential's fingerprint. */
  scope(provider: ProviderName, credential: string): ProviderCache {
    return new ProviderCache(this, provider, fingerprint(provider, credential));
  }

  clear(): Promise<void> {
    return this.options.store.clear();
  }

  /** @internal */
  key(provider: ProviderName, tenant: string, resource: ResourceName, id: string): string {
    return `${KEY_VERSION}:${provider}:${tenant}:${resource.slice(resource.indexOf('.') + 1)}:${id}`;
  }

  /** @internal */
  async load<V>(keyOf: (id: string) => string, resource: ResourceName, ids: readonly string[], fetcher: Fetcher<V>, call: CallContext): Promise<Map<string, V | null | Error>> {
    const { provider } = RESOURCES[resource];
    const { report } = call;
    const policy = this.options.policies[resource];
    const entries = await this.options.store.getMany<CacheEntry<V>>(ids.map(keyOf)).catch(() => ids.map(() => undefined));
    const now = this.now();
    const result = new Map<string, V | null | Error>();
    const needed: string[] = [];
    const refreshLater: string[] = [];
    const known = new Map<string, CacheEntry<V>>();
    ids.forEach((id, index) => {
      const entry = entries[index];
      const state = entry ? freshnessOf(entry, policy, now) : 'expired';
      if (entry && state === 'fresh') {
        result.set(id, entry.value);
        report.recordCache(provider, 'hit');
        call.freshness.freshUntil(entry.storedAt + policy.ttlMs);
      } else if (entry && state === 'stale-while-revalidate') {
        result.set(id, entry.value);
        report.recordStale(provider, now - entry.storedAt);
        call.freshness.spoil();
        refreshLater.push(id);
        known.set(id, entry);
      } else {
        if (entry && state === 'stale') known.set(id, entry);
        else report.recordCache(provider, 'miss');
        needed.push(id);
      }
    });
    if (needed.length > 0) {
      const fetched = await this.fetchShared(keyOf, resource, needed, known, fetcher, call);
      for (const id of needed) {
        const outcome = fetched.get(id);
        const fallback = known.get(id);
        if (outcome instanceof Error && fallback) {
          // RFC 5861 stale-if-error: the provider failed, a stale answer within maxStale beats none.
          result.set(id, fallback.value);
          report.recordStale(provider, now - fallback.storedAt);
          call.freshness.spoil();
        } else {
          result.set(id, outcome ?? null);
          if (outcome instanceof Error || !this.options.store.remembers) call.freshness.spoil();
          else call.freshness.freshUntil(this.now() + policy.ttlMs);
        }
      }
    }
    if (refreshLater.length > 0) {
      void this.fetchShared(keyOf, resource, refreshLater, known, fetcher, call.background()).then(
        (outcomes) => {
          for (const outcome of outcomes.values()) if (outcome instanceof Error) this.options.onBackgroundError(outcome);
        },
        (error: unknown) => this.options.onBackgroundError(error),
      );
    }
    return result;
  }

  /** @internal Stores one entity, e.g. the charges of a list answer under their own ids. */
  async write<V>(key: string, resource: ResourceName, fetched: FetchedEntity<V>): Promise<void> {
    const policy = this.options.policies[resource];
    const entry: CacheEntry<V> = {
      value: fetched.value,
      storedAt: this.now(),
      bytes: fetched.value === null ? 0 : Buffer.byteLength(JSON.stringify(fetched.value)),
      ...(fetched.etag === undefined ? {} : { etag: fetched.etag }),
    };
    // A cache write never fails a request.
    await this.options.store.set(key, entry, policy.ttlMs + policy.maxStaleMs).catch(() => undefined);
  }

  /** @internal */
  async delete(key: string): Promise<void> {
    await this.options.store.delete(key);
  }

  private async fetchShared<V>(
    keyOf: (id: string) => string,
    resource: ResourceName,
    ids: readonly string[],
    known: ReadonlyMap<string, CacheEntry<V>>,
    fetcher: Fetcher<V>,
    call: CallContext,
  ): Promise<Map<string, V | null | Error>> {
    const { provider } = RESOURCES[resource];
    const own = ids.filter((id) => !this.inflight.has(keyOf(id)));
    const batch = own.length === 0 ? undefined : this.fetchAndStore(keyOf, resource, own, known, fetcher, call);
    for (const id of own) {
      const key = keyOf(id);
      const mine = batch!.then((outcomes) => {
        const outcome = outcomes.get(id);
        if (outcome instanceof Error) throw outcome;
        return outcome ?? { value: null };
      });
      mine.catch(() => undefined); // observed below; avoid an unhandled rejection in between
      this.inflight.set(key, mine as Promise<FetchedEntity<unknown>>);
      void mine.finally(() => this.inflight.get(key) === mine && this.inflight.delete(key)).catch(() => undefined);
    }
    // Another operation's fetch may run past this operation's deadline: wait only until ours.
    const settled = await Promise.all(
      ids.map((id) =>
        call.within((this.inflight.get(keyOf(id)) as Promise<FetchedEntity<V>> | undefined) ?? Promise.resolve({ value: null }), provider).then(
          (fetched) => fetched.value,
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        ),
      ),
    );
    return new Map(ids.map((id, index) => [id, settled[index] as V | null | Error]));
  }

  private async fetchAndStore<V>(
    keyOf: (id: string) => string,
    resource: ResourceName,
    ids: string[],
    known: ReadonlyMap<string, CacheEntry<V>>,
    fetcher: Fetcher<V>,
    call: CallContext,
  ): Promise<Map<string, FetchedEntity<V> | Error>> {
    const { provider } = RESOURCES[resource];
    const { report } = call;
    let answer: FetchResult<V>;
    try {
      answer = await fetcher(ids, known, call);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return new Map(ids.map((id) => [id, failure]));
    }
    const outcomes = new Map<string, FetchedEntity<V> | Error>();
    const writes: Array<Promise<void>> = [];
    for (const id of ids) {
      const unchanged = answer.notModified?.get(id);
      const entry = known.get(id);
      if (unchanged && entry) {
        // RFC 9111 §4.3.4: a 304 freshens the stored entry (new validators, new age), body kept.
        const etag = unchanged.etag ?? entry.etag;
        outcomes.set(id, { value: entry.value, ...(etag === undefined ? {} : { etag }) });
        report.recordRevalidated(provider, entry.bytes ?? 0);
      } else {
        outcomes.set(id, answer.found.get(id) ?? { value: null });
      }
      const outcome = outcomes.get(id);
      if (outcome && !(outcome instanceof Error)) writes.push(this.write(keyOf(id), resource, outcome));
    }
    await Promise.all(writes);
    return outcomes;
  }
}

/** The cache for one provider and credential. */
export class ProviderCache {
  constructor(
    private readonly cache: EntityCache,
    readonly provider: ProviderName,
    private readonly tenant: string,
  ) {}

  /** Cached values for `ids`, fetching what is missing or stale; a failed id maps to its Error. */
  load<V>(resource: ResourceName, ids: readonly string[], fetcher: Fetcher<V>, call: CallContext): Promise<Map<string, V | null | Error>> {
    return this.cache.load((id) => this.key(resource, id), resource, ids, fetcher, call);
  }

  write<V>(resource: ResourceName, id: string, fetched: FetchedEntity<V>): Promise<void> {
    return this.cache.write(this.key(resource, id), resource, fetched);
  }

  /** Drops one entity, e.g. after our own write or a provider's webhook. */
  invalidate(resource: ResourceName, id: string): Promise<void> {
    return this.cache.delete(this.key(resource, id));
  }

  private key(resource: ResourceName, id: string): string {
    return this.cache.key(this.provider, this.tenant, resource, id);
  }
}

/**
 * A short, one-way name for a credential: two tenants never share an entry, and the key never
 * holds the secret (nor enough of a hash to test guesses against cheaply at scale).
 */
function fingerprint(provider: ProviderName, credential: string): string {
  return createHash('sha256').update(`tributary-cache:${provider}:${credential}`).digest('base64url').slice(0, 16);
}
