import { createHash } from 'node:crypto';
import { isUpstreamError, type ProviderName } from '../../errors.ts';
import { noTelemetry, type CacheOutcome, type Telemetry, type TraceSpan } from '../../telemetry.ts';
import { dueForRefresh } from '../answer-freshness.ts';
import type { CallContext } from '../call-context.ts';
import { freshnessOf, type CacheEntry, type Freshness } from './cache-entry.ts';
import { RESOURCES, type CachePolicies, type ResourceName } from './cache-policy.ts';
import type { CacheStore } from './cache-store.ts';

/**
 * Added to the longest fetch for how long an invalidation is remembered: the write that follows
 * a fetch, a slow cache round trip, a background refresh started at the deadline's edge.
 */
const HOLD_MARGIN_MS = 10 * 1000; // 10 s

/**
 * Bumped when the shape of cached values or keys changes, so old entries are never read.
 * v2: `{provider:tenant}` became a hash tag, so that on Redis Cluster every key of one provider
 * credential, and the marks that guard them, live in one slot (see redis-store.ts).
 */
const KEY_VERSION = 'v2';

export interface FetchedEntity<V> {
  value: V | null;
  etag?: string;
}

export interface FetchResult<V> {
  /** What the provider answered per id: the entity, null for "no such entity", or its own error. */
  found: Map<string, FetchedEntity<V> | Error>;
  /** Ids the provider confirmed unchanged (304, or a batch's `notModified`). */
  notModified?: ReadonlyMap<string, { etag?: string }>;
  /**
   * Other entities the same answer carried (the charges of a charge list, the contacts found by
   * email), stored under their own resource and id, guarded like the fetched ones.
   */
  related?: ReadonlyArray<{ resource: ResourceName; id: string; entity: FetchedEntity<unknown> }>;
}

/** Fetches ids from the provider; `known` holds the entries (with validators) already cached. */
export type Fetcher<V> = (ids: string[], known: ReadonlyMap<string, CacheEntry<V>>, call: CallContext) => Promise<FetchResult<V>>;

export interface EntityCacheOptions {
  store: CacheStore;
  policies: CachePolicies;
  /** Where a background refresh reports its failures (they reach no client). */
  onBackgroundError: (error: unknown) => void;
  /**
   * The longest a fetch can run (the operation deadline; a background refresh gets the same):
   * how long an invalidation keeps refusing the writes of fetches begun before it.
   */
  maxFetchMs: number;
  /** The in-process copy of a shared store, which other instances' invalidations must reach. */
  localCopy?: CacheStore;
  now?: () => number;
  /** Told of lookups' outcomes, per resource, counted per load. */
  telemetry?: Telemetry;
}

/**
 * What an event makes of a cached value: a replacement (the event carried the whole new state,
 * or a change that applies cleanly to this one), `current` (the cached value already reflects
 * the event, or something newer), or `unknown` (the two cannot be ordered: the entry is dropped
 * and the next read fetches).
 */
export type EventDecision<V> = { replace: V; /** a patch: the rest is as old as before, so is the entry */ keepAge?: boolean } | 'current' | 'unknown';

/**
 * What applying an event did to one entry; `unordered`: it could not be applied and was kept
 * as it was, for the caller to read it again at once (see `apply`'s `keepUnordered`).
 */
export type ApplyOutcome = 'applied' | 'current' | 'invalidated' | 'absent' | 'unordered';

/** Where an invalidation applies: a key, or everything. */
export type Invalidation = { keys: readonly string[] } | { all: true };

interface InFlight {
  promise: Promise<FetchedEntity<unknown>>;
}

/**
 * Which of a load's fetched ids waited for a fetch another load started, and which its own fetch
 * found unchanged (304): with what it answered stale, that tells each id's one lookup outcome.
 * Sets made only when needed: a load whose ids are all fresh fetches nothing and makes none.
 * A background refresh has none: it is not a lookup, and its outcomes are not counted.
 */
interface FetchTally {
  joined: Set<string> | undefined;
  revalidated: Set<string> | undefined;
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
  private readonly inflight = new Map<string, InFlight>();
  private readonly now: () => number;
  private readonly ageNow: () => number;
  /** How long an invalidation refuses older writes: the longest fetch, and then some. */
  private readonly holdMs: number;
  private readonly telemetry: Telemetry;

  constructor(private readonly options: EntityCacheOptions) {
    if (!(options.maxFetchMs > 0)) throw new TypeError(`maxFetchMs must be positive: ${options.maxFetchMs}`);
    this.now = options.now ?? Date.now;
    // Ages (of a fetch, of a read) are compared with invalidation marks: in milliseconds since
    // the epoch a mark made just before a fetch began could read as made after it (same
    // millisecond) and refuse that fetch's write. performance.now() tells them apart; a clock
    // injected by a test is used for ages as well.
    this.ageNow = options.now ?? (() => performance.now());
    this.holdMs = options.maxFetchMs + HOLD_MARGIN_MS;
    this.telemetry = options.telemetry ?? noTelemetry;
  }

  get storeKind(): CacheStore['kind'] | 'off' {
    return this.options.store.kind;
  }

  /** A view of the cache for one provider credential: its keys carry the credential's fingerprint. */
  scope(provider: ProviderName, credential: string): ProviderCache {
    return new ProviderCache(this, provider, fingerprint(provider, credential));
  }

  /**
   * Drops entries so that the next read of each is fresh: from the store (a fetch begun before
   * cannot write after, see CacheStore.set), and from the single-flight table, so that no later
   * reader joins a fetch begun before the invalidation.
   */
  async invalidate(what: Invalidation): Promise<void> {
    const holdMs = this.holdMs;
    if ('all' in what) {
      this.inflight.clear();
      await this.options.store.clear(holdMs);
      return;
    }
    for (const key of what.keys) this.inflight.delete(key);
    await Promise.all(what.keys.map((key) => this.options.store.invalidate(key, holdMs)));
  }

  /**
   * Another instance invalidated (its shared store is done): this instance's in-process copy and
   * its single-flight table must follow, or a later Redis outage would serve what was dropped.
   */
  async invalidateLocally(what: Invalidation): Promise<void> {
    const holdMs = this.holdMs;
    const local = this.options.localCopy;
    if ('all' in what) {
      this.inflight.clear();
      await local?.clear(holdMs);
      return;
    }
    for (const key of what.keys) this.inflight.delete(key);
    if (local) await Promise.all(what.keys.map((key) => local.invalidate(key, holdMs)));
  }

  /**
   * Applies an event to one cached entity, so that a change costs no upstream call: `decide` sees
   * the cached value and how fresh it is. A replacement is stored as fresh, unless the key was
   * invalidated since it was read (another event, a write), and then refuses the writes of
   * fetches begun before it, which would put the state before the change back. Whatever cannot
   * be applied is invalidated, which is always safe. Nothing cached: nothing to apply, but the
   * key is still marked, for a fetch that may be in flight.
   */
  async apply<V>(key: string, resource: ResourceName, decide: (cached: V | null, freshness: Freshness) => EventDecision<V>, keepUnordered = false): Promise<ApplyOutcome> {
    const policy = this.options.policies[resource];
    const readAt = this.now();
    const readAtAge = this.ageNow();
    const [entry] = await this.entries<V>([key]);
    const decision = entry ? decide(entry.value, freshnessOf(entry, policy, readAt)) : 'unknown';
    if (decision === 'current') return 'current';
    if (decision !== 'unknown') {
      const value = decision.replace;
      const storedAt = decision.keepAge && entry ? entry.storedAt : this.now();
      const replaced: CacheEntry<V> = { value, storedAt, bytes: value === null ? 0 : Buffer.byteLength(JSON.stringify(value)) };
      this.inflight.delete(key);
      const applied = await this.options.store.apply(key, replaced, policy.ttlMs + policy.maxStaleMs, Math.max(0, this.ageNow() - readAtAge), this.holdMs).catch(() => false);
      if (applied) return 'applied';
    }
    // The caller reads it again now: dropping it first would only let that read's write be
    // refused (Redis refuses writes of fetches begun within its margin after an invalidation).
    if (keepUnordered && entry && decision === 'unknown') return 'unordered';
    await this.invalidate({ keys: [key] });
    return entry ? 'invalidated' : 'absent';
  }

  /**
   * @internal The value of `key` when the in-process store holds it fresh, counted as a hit as
   * `load` counts one, without a promise, a batch or a DataLoader dispatch: a warm Customer 360
   * page made ~450 such loads, each a promise graphql-jit then waited on (docs/performance.md).
   * Undefined whenever `load` would do anything else (stale, missing, only in Redis, a
   * revalidation, a traced operation whose batches are spans): then the caller loads.
   * `accept`: the value's model, or undefined to refuse it (nothing is counted then).
   */
  freshNow<V, M>(key: string, resource: ResourceName, call: CallContext, accept: (value: V | null) => M | undefined): M | undefined {
    const { store } = this.options;
    if (store.getNow === undefined || call.revalidate || call.trace !== undefined) return undefined;
    const entry = store.getNow<CacheEntry<V>>(key);
    if (entry === undefined) return undefined;
    const policy = this.options.policies[resource];
    const now = this.now();
    if (freshnessOf(entry, policy, now) !== 'fresh') return undefined;
    if (call.refreshAhead && dueForRefresh(entry.storedAt + policy.ttlMs, policy.ttlMs, now)) return undefined;
    const model = accept(entry.value);
    if (model === undefined) return undefined;
    const { provider } = RESOURCES[resource];
    call.report.recordCache(provider, 'hit');
    call.freshness.freshUntil(entry.storedAt + policy.ttlMs, policy.ttlMs);
    this.counted(call, provider, resource, 'hit', 1);
    return model;
  }

  /**
   * @internal With `resource`, an in-process copy of a shared store may answer for the entries
   * fresh under its policy; without, the shared store is read (an event is applied to the newest
   * entry there is).
   */
  async entries<V>(keys: readonly string[], resource?: ResourceName): Promise<Array<CacheEntry<V> | undefined>> {
    if (keys.length === 0) return [];
    return this.options.store.getMany<CacheEntry<V>>(keys, resource ? this.freshIn(resource, false) : undefined).catch(() => keys.map(() => undefined));
  }

  /**
   * What an in-process copy may answer with on its own: an entry still fresh, by the age it had
   * in the shared store (`storedAt` travels with it), so the copy never serves it longer than the
   * shared store would have served it as fresh. A stale one is read again from the shared store,
   * where another instance may have refreshed it; so is one due for refresh, for a refreshing
   * run (`refreshAhead`).
   */
  private freshIn<V>(resource: ResourceName, refreshAhead: boolean): ((entry: CacheEntry<V>) => boolean) | undefined {
    // Only a shared store (tiered, with a local copy) reads it; the in-process store alone would
    // be handed a closure and a clock reading per load for nothing.
    if (this.options.store.kind !== 'redis') return undefined;
    const policy = this.options.policies[resource];
    const readAt = this.now();
    if (refreshAhead) return (entry) => freshnessOf(entry, policy, readAt) === 'fresh' && !dueForRefresh(entry.storedAt + policy.ttlMs, policy.ttlMs, readAt);
    return (entry) => freshnessOf(entry, policy, readAt) === 'fresh';
  }

  /** @internal */
  key(provider: ProviderName, tenant: string, resource: ResourceName, id: string): string {
    return `${KEY_VERSION}:{${provider}:${tenant}}:${resource.slice(resource.indexOf('.') + 1)}:${id}`;
  }

  /**
   * @internal Every DataLoader batch (and each list page) reads through here once: while tracing,
   * its span is opened here, a child of the operation's, and its fetch runs under it.
   */
  load<V>(keyFor: KeyFor, resource: ResourceName, ids: readonly string[], fetcher: Fetcher<V>, call: CallContext): Promise<Map<string, V | null | Error>> {
    // Not async: untraced, the lookup's own promise is the answer, with none wrapped around it.
    const { trace } = call;
    return trace === undefined ? this.lookup(keyFor, resource, ids, fetcher, call) : this.tracedLookup(trace, keyFor, resource, ids, fetcher, call);
  }

  private async tracedLookup<V>(trace: TraceSpan, keyFor: KeyFor, resource: ResourceName, ids: readonly string[], fetcher: Fetcher<V>, call: CallContext): Promise<Map<string, V | null | Error>> {
    const span = trace.child(`batch ${resource}`, { 'tributary.provider': RESOURCES[resource].provider, 'tributary.resource': resource, 'tributary.batch.size': ids.length });
    try {
      const result = await this.lookup(keyFor, resource, ids, fetcher, call.traced(span));
      let failed: Error | undefined;
      let failures = 0;
      for (const outcome of result.values()) {
        if (!(outcome instanceof Error)) continue;
        failed ??= outcome;
        failures += 1;
      }
      span.end({ 'tributary.batch.failed': failures }, failed && codeOf(failed));
      return result;
    } catch (error) {
      span.end(undefined, codeOf(error));
      throw error;
    }
  }

  private async lookup<V>(keyFor: KeyFor, resource: ResourceName, ids: readonly string[], fetcher: Fetcher<V>, call: CallContext): Promise<Map<string, V | null | Error>> {
    const keyOf = (id: string) => keyFor(resource, id);
    const { provider } = RESOURCES[resource];
    const { report } = call;
    const policy = this.options.policies[resource];
    // A revalidation reads the shared store: its validators should be the newest there are.
    const entries = await this.options.store.getMany<CacheEntry<V>>(ids.map(keyOf), call.revalidate ? undefined : this.freshIn(resource, call.refreshAhead)).catch(() => ids.map(() => undefined));
    if (call.revalidate) return this.revalidate(keyFor, resource, ids, entries, fetcher, call);
    const now = this.now();
    const result = new Map<string, V | null | Error>();
    const needed: string[] = [];
    const refreshLater: string[] = [];
    const known = new Map<string, CacheEntry<V>>();
    // One outcome per id, counted here and told once per kind (see CacheOutcome).
    let hits = 0;
    let stale = 0;
    ids.forEach((id, index) => {
      const entry = entries[index];
      const state = entry ? freshnessOf(entry, policy, now) : 'expired';
      // A refreshing run fetches what is due soon (with its validators), as if it were stale.
      const due = state === 'fresh' && call.refreshAhead && dueForRefresh(entry!.storedAt + policy.ttlMs, policy.ttlMs, now);
      if (entry && state === 'fresh' && !due) {
        hits += 1;
        result.set(id, entry.value);
        report.recordCache(provider, 'hit');
        call.freshness.freshUntil(entry.storedAt + policy.ttlMs, policy.ttlMs);
      } else if (entry && state === 'stale-while-revalidate') {
        stale += 1;
        result.set(id, entry.value);
        report.recordStale(provider, now - entry.storedAt);
        call.freshness.spoil();
        refreshLater.push(id);
        known.set(id, entry);
      } else {
        if (entry && (state === 'stale' || due)) known.set(id, entry);
        else report.recordCache(provider, 'miss');
        needed.push(id);
      }
    });
    if (hits > 0) this.counted(call, provider, resource, 'hit', hits);
    if (needed.length > 0) {
      const tally: FetchTally = { joined: undefined, revalidated: undefined };
      const fetched = await this.fetchShared(keyFor, resource, needed, known, fetcher, call, tally);
      let joined = 0;
      let revalidated = 0;
      let misses = 0;
      for (const id of needed) {
        const outcome = fetched.get(id);
        const fallback = known.get(id);
        if (outcome instanceof Error && fallback) {
          // RFC 5861 stale-if-error: the provider failed, a stale answer within maxStale beats none.
          result.set(id, fallback.value);
          report.recordStale(provider, now - fallback.storedAt);
          stale += 1;
          call.freshness.spoil();
        } else {
          result.set(id, outcome ?? null);
          if (outcome instanceof Error || !this.options.store.remembers) call.freshness.spoil();
          else call.freshness.freshUntil(this.now() + policy.ttlMs, policy.ttlMs);
          if (tally.joined?.has(id)) joined += 1;
          else if (tally.revalidated?.has(id)) revalidated += 1;
          else misses += 1;
        }
      }
      if (joined > 0) this.counted(call, provider, resource, 'joined', joined);
      if (revalidated > 0) this.counted(call, provider, resource, 'revalidated', revalidated);
      if (misses > 0) this.counted(call, provider, resource, 'miss', misses);
    }
    if (stale > 0) this.counted(call, provider, resource, 'stale', stale);
    if (refreshLater.length > 0) {
      // Traced, a refresh is a span of its own under the batch that served the stale copies: it outlives it.
      const refresh = call.trace?.child(`refresh ${resource}`, { 'tributary.provider': provider, 'tributary.resource': resource, 'tributary.batch.size': refreshLater.length });
      void this.fetchShared(keyFor, resource, refreshLater, known, fetcher, refresh ? call.background().traced(refresh) : call.background()).then(
        (outcomes) => {
          let failed: Error | undefined;
          for (const outcome of outcomes.values()) if (outcome instanceof Error) this.options.onBackgroundError((failed = outcome));
          refresh?.end(undefined, failed && codeOf(failed));
        },
        (error: unknown) => {
          refresh?.end(undefined, codeOf(error));
          this.options.onBackgroundError(error);
        },
      );
    }
    return result;
  }

  /**
   * Asks the provider for every id again, with the cached entries as validators (a 304 freshens
   * them), on a fetch of its own: one already in flight may have begun before the change the
   * caller knows of. A failure is the caller's (no stale fallback).
   */
  private async revalidate<V>(
    keyFor: KeyFor,
    resource: ResourceName,
    ids: readonly string[],
    entries: ReadonlyArray<CacheEntry<V> | undefined>,
    fetcher: Fetcher<V>,
    call: CallContext,
  ): Promise<Map<string, V | null | Error>> {
    const known = new Map<string, CacheEntry<V>>();
    ids.forEach((id, index) => {
      const entry = entries[index];
      if (entry) known.set(id, entry);
    });
    const { provider } = RESOURCES[resource];
    const tally: FetchTally = { joined: undefined, revalidated: undefined };
    const fetched = await call.within(this.fetchAndStore(keyFor, resource, [...ids], known, fetcher, call, tally), provider).catch((error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      return new Map(ids.map((id) => [id, failure] as const));
    });
    for (const id of ids) this.inflight.delete(keyFor(resource, id)); // later readers must not join older fetches
    // Read once, now: a 304 that comes after this load's deadline answered no one.
    let revalidated = 0;
    for (const id of ids) if (tally.revalidated?.has(id) && !(fetched.get(id) instanceof Error)) revalidated += 1;
    if (revalidated > 0) this.counted(call, provider, resource, 'revalidated', revalidated);
    if (ids.length > revalidated) this.counted(call, provider, resource, 'miss', ids.length - revalidated);
    return new Map(ids.map((id) => {
      const outcome = fetched.get(id);
      return [id, outcome instanceof Error ? outcome : (outcome?.value ?? null)];
    }));
  }

  /** Stores one entity fetched by a fetch that began at `begunAt` (on `ageNow`). */
  private async write<V>(key: string, resource: ResourceName, fetched: FetchedEntity<V>, begunAt: number, supersede = false): Promise<void> {
    const fetchAgeMs = Math.max(0, this.ageNow() - begunAt);
    // Older than any invalidation mark is kept: whether one came meanwhile can no longer be told.
    if (fetchAgeMs >= this.holdMs) return;
    const policy = this.options.policies[resource];
    const entry: CacheEntry<V> = {
      value: fetched.value,
      storedAt: this.now(),
      bytes: fetched.value === null ? 0 : Buffer.byteLength(JSON.stringify(fetched.value)),
      ...(fetched.etag === undefined ? {} : { etag: fetched.etag }),
    };
    // A cache write never fails a request.
    const ttlMs = policy.ttlMs + policy.maxStaleMs;
    // A revalidation also refuses, from now on, the writes of fetches that began before it.
    if (supersede) await this.options.store.apply(key, entry, ttlMs, fetchAgeMs, this.holdMs).catch(() => false);
    else await this.options.store.set(key, entry, ttlMs, fetchAgeMs).catch(() => undefined);
  }

  private async fetchShared<V>(
    keyFor: KeyFor,
    resource: ResourceName,
    ids: readonly string[],
    known: ReadonlyMap<string, CacheEntry<V>>,
    fetcher: Fetcher<V>,
    call: CallContext,
    tally?: FetchTally,
  ): Promise<Map<string, V | null | Error>> {
    const { provider } = RESOURCES[resource];
    const keyOf = (id: string) => keyFor(resource, id);
    const joined = new Map<string, InFlight>();
    const own: string[] = [];
    for (const id of ids) {
      const running = this.inflight.get(keyOf(id));
      // Traced, the attempts of a joined fetch are under the batch that started it, not this one.
      if (running) {
        joined.set(id, running);
        if (tally) (tally.joined ??= new Set()).add(id);
      } else own.push(id);
    }
    const batch = own.length === 0 ? undefined : this.fetchAndStore(keyFor, resource, own, known, fetcher, call, tally);
    for (const id of own) {
      const key = keyOf(id);
      const promise = batch!.then((outcomes) => {
        const outcome = outcomes.get(id);
        if (outcome instanceof Error) throw outcome;
        return outcome ?? { value: null };
      });
      promise.catch(() => undefined); // observed below; avoid an unhandled rejection in between
      const mine: InFlight = { promise: promise as Promise<FetchedEntity<unknown>> };
      joined.set(id, mine);
      this.inflight.set(key, mine);
      void promise.finally(() => this.inflight.get(key) === mine && this.inflight.delete(key)).catch(() => undefined);
    }
    // Another operation's fetch may run past this operation's deadline: wait only until ours.
    const settled = await Promise.all(
      ids.map((id) =>
        call.within(joined.get(id)!.promise as Promise<FetchedEntity<V>>, provider).then(
          (fetched) => fetched.value,
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        ),
      ),
    );
    return new Map(ids.map((id, index) => [id, settled[index] as V | null | Error]));
  }

  private async fetchAndStore<V>(
    keyFor: KeyFor,
    resource: ResourceName,
    ids: string[],
    known: ReadonlyMap<string, CacheEntry<V>>,
    fetcher: Fetcher<V>,
    call: CallContext,
    tally?: FetchTally,
  ): Promise<Map<string, FetchedEntity<V> | Error>> {
    const { provider } = RESOURCES[resource];
    const { report } = call;
    const begunAt = this.ageNow();
    const supersede = call.revalidate;
    let answer: FetchResult<V>;
    try {
      answer = await fetcher(ids, known, call);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return new Map(ids.map((id) => [id, failure]));
    }
    // A store that keeps nothing (CACHE_ENABLED=false) is not written to: each write measured its
    // entity's JSON for a size nobody would read.
    const remembers = this.options.store.remembers;
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
        if (tally) (tally.revalidated ??= new Set()).add(id);
      } else {
        outcomes.set(id, answer.found.get(id) ?? { value: null });
      }
      const outcome = outcomes.get(id);
      if (remembers && outcome && !(outcome instanceof Error)) writes.push(this.write(keyFor(resource, id), resource, outcome, begunAt, supersede));
    }
    if (remembers) for (const { resource: other, id, entity } of answer.related ?? []) writes.push(this.write(keyFor(other, id), other, entity, begunAt));
    if (writes.length > 0) await Promise.all(writes);
    return outcomes;
  }

  /** Tells telemetry, and the batch's span when traced (`tributary.cache.hit`: 3). */
  private counted(call: CallContext, provider: ProviderName, resource: ResourceName, outcome: CacheOutcome, count: number): void {
    // A kept answer's refresh is background work, as a stale entry's refresh is: its early
    // fetches of fresh entries are not the misses (nor its fallbacks the stale answers) of any client.
    if (call.refreshAhead) return;
    this.telemetry.cacheLookup(provider, resource, outcome, count);
    call.trace?.setAttributes({ [`tributary.cache.${outcome}`]: count });
  }
}

/** Keys a ProviderCache remembers (see its constructor) before it forgets them all. */
const MAX_KEYS = 50_000;
/** Longest id whose key is remembered: provider ids are a few dozen characters at most. */
const MAX_REMEMBERED_ID = 64;

/** `<version>:{<provider>:<credential fingerprint>}:<resource>:<id>` */
type KeyFor = (resource: ResourceName, id: string) => string;

/** The cache for one provider and credential. */
export class ProviderCache {
  private readonly keyFor: KeyFor;

  constructor(
    private readonly cache: EntityCache,
    readonly provider: ProviderName,
    tenant: string,
  ) {
    // The same key string for the same entity every time: ids come from cached objects (one
    // string each), so the lookups below and the store's own find a hash V8 has already
    // computed, where a key built afresh per read was hashed again on every lookup (lru-cache's
    // get was 4% of a warm page's CPU). Bounded: past MAX_KEYS remembered, it starts over.
    const known = new Map<ResourceName, Map<string, string>>();
    let count = 0;
    this.keyFor = (resource, id) => {
      // Only provider-sized ids: a client can send long ones (an email filter, a made-up id),
      // which would make this hold far more than the entries it names.
      if (id.length > MAX_REMEMBERED_ID) return cache.key(provider, tenant, resource, id);
      let byId = known.get(resource);
      if (!byId) known.set(resource, (byId = new Map()));
      let key = byId.get(id);
      if (key === undefined) {
        if (count >= MAX_KEYS) {
          known.clear();
          count = 0;
          known.set(resource, (byId = new Map()));
        }
        key = cache.key(provider, tenant, resource, id);
        byId.set(id, key);
        count += 1;
      }
      return key;
    };
  }

  /** Cached values for `ids`, fetching what is missing or stale; a failed id maps to its Error. */
  load<V>(resource: ResourceName, ids: readonly string[], fetcher: Fetcher<V>, call: CallContext): Promise<Map<string, V | null | Error>> {
    return this.cache.load(this.keyFor, resource, ids, fetcher, call);
  }

  /** `accept(value)` of the entity when it is held fresh in process, counted as a hit; see EntityCache.freshNow. */
  freshNow<V, M>(resource: ResourceName, id: string, call: CallContext, accept: (value: V | null) => M | undefined): M | undefined {
    return this.cache.freshNow(this.keyFor(resource, id), resource, call, accept);
  }

  /** Applies an event to one cached entity (see EntityCache.apply). */
  apply<V>(resource: ResourceName, id: string, decide: (cached: V | null, freshness: Freshness) => EventDecision<V>, keepUnordered = false): Promise<ApplyOutcome> {
    return this.cache.apply(this.keyFor(resource, id), resource, decide, keepUnordered);
  }

  /**
   * What the cache holds for `ids` (undefined: nothing; null: "no such entity"), whatever its
   * age, without asking the provider: for a cached list to prefer its entities' own entries,
   * which events keep exact.
   */
  async peek<V>(resource: ResourceName, ids: readonly string[]): Promise<Array<V | null | undefined>> {
    const entries = await this.cache.entries<V>(ids.map((id) => this.keyFor(resource, id)), resource);
    return entries.map((entry) => (entry === undefined ? undefined : entry.value));
  }

  /** Drops one cached entity, here and in the shared store (other instances' copies: see the invalidation bus). */
  invalidate(resource: ResourceName, id: string): Promise<void> {
    return this.cache.invalidate({ keys: [this.keyFor(resource, id)] });
  }

  /** The store key of one entity (for invalidations and the messages that carry them). */
  keyOf(resource: ResourceName, id: string): string {
    return this.keyFor(resource, id);
  }
}

/**
 * A short, one-way name for a credential: two tenants never share an entry, and the key never
 * holds the secret (nor enough of a hash to test guesses against cheaply at scale).
 */
function fingerprint(provider: ProviderName, credential: string): string {
  return createHash('sha256').update(`tributary-cache:${provider}:${credential}`).digest('base64url').slice(0, 16);
}

/** A failure's public code for a span's status (an unknown error has none to give). */
function codeOf(error: unknown): string {
  return isUpstreamError(error) ? error.code : 'INTERNAL_SERVER_ERROR';
}
