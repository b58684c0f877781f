import type { PersistedQueryOptions } from '@apollo/server';
import { LRUCache } from 'lru-cache';
import type { RedisConnection } from '../../upstream/redis/redis-connection.ts';
import { SharedDocumentStore } from './shared-document-store.ts';

/**
 * Apollo's `KeyValueCache<string>`, named through @apollo/server's own options: the interface's
 * package (@apollo/utils.keyvaluecache) is Apollo's dependency, not one of ours.
 */
export type ApolloKeyValueCache = NonNullable<PersistedQueryOptions['cache']>;
type SetOptions = Parameters<ApolloKeyValueCache['set']>[2];

export interface PersistedQueryCacheOptions {
  /** Longest a document is kept after its registration, whatever Apollo asks (APQ_TTL_SECONDS). */
  maxTtlSeconds: number;
  /** Longest document kept, in UTF-8 bytes (MAX_QUERY_BYTES): a longer one is refused before Apollo sees it. */
  maxDocumentBytes: number;
  /**
   * Whether this instance would take a document another one wrote as a request's text (beyond its
   * size: MAX_QUERY_TOKENS). Texts are checked before Apollo sees them (request-limits.ts), but a
   * hash alone carries none: without this, an instance's larger limit would hold on every other.
   */
  admitsShared?: (document: string) => boolean;
  /** Estimated heap bytes (keys and documents) the in-process LRU keeps. */
  localMaxBytes?: number;
  /**
   * The store every instance shares, documents under `<keyPrefix>:{apq}:<sha256>`, at most
   * `maxEntries` of them (APQ_MAX_ENTRIES, default 2000); absent: in process only.
   */
  shared?: { redis: RedisConnection; keyPrefix: string; maxEntries?: number };
  /** Told of the first failed shared write after a success (or the first ever): once per outage. */
  onWriteError?: (error: unknown) => void;
  /** Milliseconds on a monotonic clock, for the in-process TTLs; injected by tests. */
  now?: () => number;
}

const DEFAULTS = {
  localMaxBytes: 8 * 1024 * 1024, // 8 MiB: some 250 documents of the largest default size (16 KiB), thousands of usual ones
  sharedMaxEntries: 2000, // at most 2000 × 16 KiB = 31 MiB of Redis with the default MAX_QUERY_BYTES
} as const;

/**
 * Apollo hands every key with its own `apq:` (APQ_CACHE_PREFIX, requestPipeline.ts) before the
 * client's `sha256Hash`. It registers a document only under the lower-case hex SHA-256 it computed
 * itself, so a key of any other shape can never be found: it is a miss without a round trip, and no
 * client-chosen text ever becomes a Redis key.
 */
const APOLLO_KEY = /^apq:([0-9a-f]{64})$/;

/**
 * Automatic persisted queries' documents, by SHA-256, shared by every instance through the Redis
 * the entity cache uses (the same connection: its REDIS_TIMEOUT_MS, its health, its fail-fast while
 * Redis is away), with an in-process LRU in front. A hash names one text forever, so a copy is
 * never stale: the LRU answers first and Redis is asked only for what this process has not seen.
 * Without Redis the LRU is the store.
 *
 * Redis trouble never fails a request: a read that fails or times out is a miss (the client sends
 * its text again, as after any PERSISTED_QUERY_NOT_FOUND) and a write that fails is logged once,
 * the answer served all the same. Apollo awaits neither a write nor its failure; `written` lets a
 * plugin hold the registering answer until the write is done (persisted-queries.ts).
 *
 * How many documents Redis holds is capped, for every instance together (SharedDocumentStore).
 */
export class PersistedQueryCache implements ApolloKeyValueCache {
  private readonly local: LRUCache<string, string>;
  private readonly pending = new Map<string, Promise<void>>();
  private readonly maxTtlSeconds: number;
  private readonly maxDocumentBytes: number;
  private readonly shared: { redis: RedisConnection; store: SharedDocumentStore } | undefined;
  private failing = false;

  constructor(private readonly options: PersistedQueryCacheOptions) {
    const { maxTtlSeconds, maxDocumentBytes, now } = options;
    if (!(Number.isInteger(maxTtlSeconds) && maxTtlSeconds > 0)) throw new TypeError(`maxTtlSeconds must be a positive integer: ${maxTtlSeconds}`);
    if (!(Number.isInteger(maxDocumentBytes) && maxDocumentBytes > 0)) throw new TypeError(`maxDocumentBytes must be a positive integer: ${maxDocumentBytes}`);
    const localMaxBytes = options.localMaxBytes ?? DEFAULTS.localMaxBytes;
    if (!(Number.isInteger(localMaxBytes) && localMaxBytes > 0)) throw new TypeError(`localMaxBytes must be a positive integer: ${localMaxBytes}`);
    const { shared } = options;
    this.shared = shared && { redis: shared.redis, store: new SharedDocumentStore(shared.keyPrefix, shared.maxEntries ?? DEFAULTS.sharedMaxEntries) };
    this.maxTtlSeconds = maxTtlSeconds;
    this.maxDocumentBytes = maxDocumentBytes;
    // Two bytes a character (UTF-16) for the hash and the text, plus the LRU's own node. An
    // injected clock moves only when a test says so: lru-cache must read it every time.
    this.local = new LRUCache<string, string>({
      maxSize: localMaxBytes,
      sizeCalculation: (document, hash) => 2 * (hash.length + document.length) + 128,
      ...(now ? { perf: { now }, ttlResolution: 0 } : {}),
    });
  }

  /** Where the shared store keeps the document of `hash`; undefined without Redis. */
  sharedKeyOf(hash: string): string | undefined {
    return this.shared?.store.keyOf(hash);
  }

  /** The document of `hash` if this process holds it, without waiting (the result cache's lookup). */
  peek(hash: string): string | undefined {
    return this.local.get(hash);
  }

  async get(key: string): Promise<string | undefined> {
    const hash = APOLLO_KEY.exec(key)?.[1];
    if (hash === undefined) return undefined;
    const held = this.local.get(hash);
    const { shared } = this;
    if (held !== undefined || !shared) return held;
    let document: string | null;
    try {
      document = await shared.redis.run((client) => shared.store.get(client, hash));
    } catch {
      return undefined; // the connection logs Redis's state; a miss is all Apollo needs to know
    }
    // Written by an instance with larger limits: this one would refuse the text, so it refuses the hash too.
    if (typeof document !== 'string' || !this.fits(document) || this.options.admitsShared?.(document) === false) return undefined;
    this.local.set(hash, document, { ttl: this.maxTtlSeconds * 1000 });
    return document;
  }

  /** Never rejects: a failed shared write is reported to `onWriteError`, and the document is still kept here. */
  async set(key: string, document: string, options?: SetOptions): Promise<void> {
    const hash = APOLLO_KEY.exec(key)?.[1];
    if (hash === undefined || !this.fits(document)) return;
    const ttlSeconds = this.ttlSecondsOf(options);
    this.local.set(hash, document, { ttl: ttlSeconds * 1000 });
    const { shared } = this;
    if (!shared) return;
    const write = shared.redis.run((client) => shared.store.set(client, hash, document, ttlSeconds)).then(
      () => {
        this.failing = false;
      },
      (error: unknown) => {
        if (!this.failing) this.options.onWriteError?.(error);
        this.failing = true;
      },
    );
    this.pending.set(hash, write);
    await write;
    if (this.pending.get(hash) === write) this.pending.delete(hash);
  }

  async delete(key: string): Promise<boolean> {
    const hash = APOLLO_KEY.exec(key)?.[1];
    if (hash === undefined) return false;
    const held = this.local.delete(hash);
    const { shared } = this;
    if (!shared) return held;
    try {
      return (await shared.redis.run((client) => shared.store.delete(client, hash))) || held;
    } catch {
      return held;
    }
  }

  /** Settles once the shared write of `hash` begun so far has succeeded or failed (at once if none is under way). */
  written(hash: string): Promise<void> {
    return this.pending.get(hash) ?? Promise.resolve();
  }

  // Private: what is kept, and for how long.

  private fits(document: string): boolean {
    // Every UTF-16 unit takes one to three UTF-8 bytes: most documents are decided without counting.
    if (document.length > this.maxDocumentBytes) return false;
    return document.length * 3 <= this.maxDocumentBytes || Buffer.byteLength(document, 'utf8') <= this.maxDocumentBytes;
  }

  /** Apollo's `ttl` is in seconds; none, null (for ever) or a nonsense value gets the cap. */
  private ttlSecondsOf(options: SetOptions): number {
    const asked = options?.ttl;
    if (typeof asked !== 'number' || !(asked > 0)) return this.maxTtlSeconds;
    return Math.min(Math.ceil(asked), this.maxTtlSeconds);
  }
}
