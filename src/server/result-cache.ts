import { LRUCache } from 'lru-cache';
import { hash } from 'node:crypto';
import { gzipPrefixOf, type GzipPrefix } from './gzip-replay.ts';
import { ReplayBuffers } from './replay-buffers.ts';
import { SYNC_MAX_BYTES as GZIP_KEPT_MAX_BYTES } from './compression.ts';

/** An answer as kept: its bytes, and what its extensions said that a replay repeats. */
export interface KeptAnswer {
  /**
   * The UTF-8 bytes of `{"data":…` without its closing brace (see `dataOf`); absent when the
   * answer is kept compressed only (`gzip`, see ResultCache.set).
   */
  readonly data?: Buffer | undefined;
  /** The JSON of the operation's estimate, which depends only on what the key holds. */
  readonly estimate: string | undefined;
  /** Counts a replay of the answer as a request of the operation that made it (metrics). */
  readonly operation?: KeptOperation | undefined;
  /** The data compressed once: as it is kept (large answers), or at its first replay in gzip (`gzipOf`). */
  readonly gzip?: GzipPrefix | undefined;
  /** An uncompressed answer's whole last replay and the closing it ended with; set by the cache (`answerWith`). */
  readonly replayed?: { readonly closing: Buffer; readonly answer: Buffer } | undefined;
  /**
   * When a replay asks for the answer to be built again (`refreshDue`, result-cache-refresh.ts);
   * set by `set`, absent for an answer left to expire. One object shared by the entry's copies
   * (answerWith, gzipOf), so that an answer is tried once whichever copy is replayed.
   */
  readonly refresh?: RefreshState | undefined;
}

export interface RefreshState {
  /** From when, on the cache's clock. */
  readonly at: number;
  /** A refresh of the answer was started (it is not started again). */
  tried: boolean;
}

export interface KeptOperation {
  /** The answer was replayed, `seconds` after its request came. */
  replayed(seconds: number): void;
}

export interface ResultCacheOptions {
  /** Bytes of serialised answers kept, least recently used out first. */
  maxBytes: number;
  /** Milliseconds since the epoch; the clock answers' freshness is measured on. */
  now?: () => number;
  /**
   * Answers whose data has at least this many bytes are also kept compressed once one is replayed
   * in gzip, so that later replays in gzip cost no compression (gzip-replay.ts); undefined
   * (COMPRESSION=off): none. Measured on the data alone, so that every answer replayed in gzip is
   * over the threshold.
   */
  gzipFromBytes?: number | undefined;
  /**
   * Answers whose data has at least this many bytes (and at most 256 KiB) are kept compressed
   * only (default 16 KiB; Infinity: none); see `set`.
   */
  compressFromBytes?: number | undefined;
}

const DEFAULT_COMPRESS_FROM_BYTES = 16 * 1024; // 16 KiB: a few times smaller for a fraction of a millisecond
/**
 * zlib's default level for what is compressed once and kept: a Customer 360 page deflates to
 * 10.6 KB in ~1 ms, against 11.6 KB in ~0.65 ms at the level answers are compressed per request.
 */
const KEPT_LEVEL = 6;
/** The share of the budget for the replays of compressed answers kept whole (see `answerWith`). */
const WHOLE_REPLAYS_SHARE = 1 / 16;
/** Keys of the compressed answers last inflated for a replay (see `inflatedLately`). */
const INFLATED_LATELY = 16;

/** A compressed answer's last identity replay, whole, with the entry and closing it was made for. */
interface WholeReplay {
  readonly answer: KeptAnswer;
  readonly closing: Buffer;
  readonly bytes: Buffer;
}

/**
 * The third cache layer: whole answers, replayed without executing GraphQL again, for exactly as
 * long as every entity they were built from is still fresh (AnswerFreshness); answers that used
 * stale data or met an error are never kept. Any invalidation empties it, so it is never staler
 * than the entity cache. It lives in process: a warm Customer 360 page is then one map lookup and
 * one write of bytes, where executing ~3,000 fields again would cost milliseconds.
 */
export class ResultCache {
  private readonly answers: LRUCache<string, KeptAnswer>;
  /** Replays of compressed answers, kept whole so that a page replayed often is inflated once. */
  private readonly wholeReplays: LRUCache<string, WholeReplay>;
  /**
   * The last few compressed answers replayed in identity, by key: one replayed again while still
   * here is read often enough to keep whole. Few, so that pages read at random (W3) are not
   * copied in and out of the whole replays' share at every replay.
   */
  private readonly inflatedLately = new LRUCache<string, number>({ max: INFLATED_LATELY });
  private readonly buffers = new ReplayBuffers();
  /** Bumped by every clear: an answer begun in an older generation may be built from dropped data. */
  private generation = 0;

  readonly now: () => number;
  private readonly gzipFromBytes: number;
  private readonly compressFromBytes: number;
  private readonly maxBytes: number;

  constructor(options: ResultCacheOptions) {
    this.now = options.now ?? Date.now;
    const { gzipFromBytes = Infinity } = options;
    if (!(gzipFromBytes >= 0)) throw new TypeError(`gzipFromBytes must be a number of bytes, 0 or more: ${gzipFromBytes}`);
    this.gzipFromBytes = gzipFromBytes;
    // With gzip replays off (COMPRESSION=off), every replay of a compressed answer would inflate it.
    const { compressFromBytes = gzipFromBytes === Infinity ? Infinity : DEFAULT_COMPRESS_FROM_BYTES } = options;
    if (!(compressFromBytes >= 0)) throw new TypeError(`compressFromBytes must be a number of bytes, 0 or more: ${compressFromBytes}`);
    this.compressFromBytes = compressFromBytes;
    const wholeBytes = Math.max(1, Math.floor(options.maxBytes * WHOLE_REPLAYS_SHARE));
    this.maxBytes = Math.max(1, options.maxBytes - wholeBytes);
    // Keys hold the whole query text and variables, so they count too (UTF-16: two bytes a char).
    this.answers = new LRUCache<string, KeptAnswer>({
      maxSize: this.maxBytes,
      // `data` is a view of `replayed.answer` once replayed (answerWith): one buffer, counted once.
      sizeCalculation: (answer, key) => (answer.data?.buffer.byteLength ?? 0) + (answer.gzip?.deflated.buffer.byteLength ?? 0) + 2 * ((answer.estimate?.length ?? 0) + key.length),
      perf: { now: this.now },
      // lru-cache reuses one reading of the clock for 1 ms of real time, which an injected clock
      // (tests) does not follow: read it at every check then.
      ...(options.now ? { ttlResolution: 0 } : {}),
    });
    // Not timed: an entry is used only while its answer is still the one kept (see answerWith).
    this.wholeReplays = new LRUCache<string, WholeReplay>({ maxSize: wholeBytes, sizeCalculation: (replay, key) => replay.bytes.buffer.byteLength + 2 * key.length });
  }

  /**
   * What a request that missed must hand back to `set`: its key, tagged with the generation it
   * began in, so that an answer being built while the cache was cleared is not kept after.
   */
  ticket(key: string): string {
    return `${this.generation}\u0001${key}`;
  }

  /**
   * What `answerKeyOf` made `key` (or a ticket of it) from: no part holds a NUL (partitions and
   * operation names cannot, JSON escapes it, base64 has none), so it splits back exactly.
   */
  static partsOf(key: string): { partition: string; operationName: string | null; variables: Record<string, unknown>; queryHash: string } {
    const parts = key.slice(key.indexOf('\u0001') + 1).split('\u0000');
    if (parts.length !== 4) throw new TypeError('not a result cache key');
    const [partition, operationName, variables, queryHash] = parts as [string, string, string, string];
    return { partition, operationName: operationName === '' ? null : operationName, variables: JSON.parse(variables) as Record<string, unknown>, queryHash };
  }

  get(key: string): KeptAnswer | undefined {
    return this.answers.get(key);
  }

  /**
   * `answer.data`: the UTF-8 bytes of `{"data":…` without its closing brace (see `dataOf`), kept for
   * `ttlMs` unless the cache was cleared since `ticket` was taken. Bytes, not a string: outside
   * V8's heap they are neither copied by its collector nor counted in the size it grows the heap
   * from, and a replay writes them to the socket without encoding them again.
   *
   * Data of `compressFromBytes` or more is kept compressed only (the gzip copy replays in gzip
   * send): a Customer 360 page of ~63 KB keeps in ~11 KB, so the same budget holds about five
   * times the answers. Under W3 (951 distinct pages), 8 MiB held 128 pages uncompressed, so
   * most requests ran their operation again (~3.5 ms of CPU) where a replay costs a copy; the
   * deflate (~1 ms for such a page) is paid once per kept answer. False when nothing was kept.
   * `refreshWithinMs`: how long before its end a replay finds the answer due to be built again
   * (`refreshDue`); absent: it is left to expire.
   */
  set(ticket: string, answer: KeptAnswer & { readonly data: Buffer }, ttlMs: number, refreshWithinMs?: number): boolean {
    const split = ticket.indexOf('\u0001');
    if (ttlMs <= 0 || Number(ticket.slice(0, split)) !== this.generation) return false;
    const { data, estimate, operation } = answer;
    const refresh = refreshWithinMs !== undefined && refreshWithinMs > 0 ? { at: this.now() + ttlMs - refreshWithinMs, tried: false } : undefined;
    const compress = answer.gzip === undefined && data.length >= this.compressFromBytes && data.length <= GZIP_KEPT_MAX_BYTES && data.length < this.maxBytes;
    const kept: KeptAnswer = compress ? { estimate, operation, gzip: gzipPrefixOf(data, KEPT_LEVEL), refresh } : { ...answer, refresh };
    this.answers.set(ticket.slice(split + 1), kept, { ttl: ttlMs });
    return true;
  }

  /**
   * Whether `answer`, just replayed, is close enough to the end of its freshness to be built again
   * now (refresh-ahead): hot answers then never expire while their entities can be refreshed, and
   * the pages a dashboard reads do not all run again, and wait for their providers, in the same
   * second their charge lists go stale (docs/performance.md, "Fifth pass"). Once per kept answer.
   */
  refreshDue(answer: KeptAnswer): boolean {
    const { refresh } = answer;
    return refresh !== undefined && !refresh.tried && this.now() >= refresh.at;
  }

  /**
   * The bytes of a replay of `answer` (just read at `key`) ending with `closing`: made at the first
   * replay with that closing and kept, the data then a view of them, so that later replays with
   * the same closing (closings are made once per tenant report and estimate, so the same object)
   * allocate nothing. A new 63 KB buffer per replay of a Customer 360 page was external memory
   * that, with the larger young generation the image runs, set off full collections: warm W1
   * replays fell from ~4,400 to ~2,450 a second.
   */
  answerWith(key: string, answer: KeptAnswer, closing: Buffer): Buffer {
    if (answer.data === undefined) return this.wholeReplayOf(key, answer, closing);
    if (answer.replayed?.closing === closing) return answer.replayed.answer;
    // Memory of its own (not Node's shared pool, which a small answer would keep alive): see ownBytes.
    const whole = Buffer.allocUnsafeSlow(answer.data.length + closing.length);
    answer.data.copy(whole, 0);
    closing.copy(whole, answer.data.length);
    const replayed = { ...answer, data: whole.subarray(0, answer.data.length), replayed: { closing, answer: whole } };
    if (this.answers.peek(key) === answer) this.answers.set(key, replayed, { noUpdateTTL: true });
    return whole;
  }

  /**
   * A compressed answer replayed in identity: inflated into a lent buffer (ReplayBuffers), which
   * the caller gives back once the response is written (`lends`, `giveBack`). A page replayed a
   * second time soon after its last inflation (a dashboard's first page, read by many) is kept
   * whole instead, in a share of the budget of its own (WHOLE_REPLAYS_SHARE), and inflated no more.
   */
  private wholeReplayOf(key: string, answer: KeptAnswer, closing: Buffer): Buffer {
    const kept = this.wholeReplays.get(key);
    if (kept?.answer === answer && kept.closing === closing) return kept.bytes;
    const { gzip } = answer;
    if (gzip === undefined) throw new TypeError('a kept answer holds neither its data nor its compressed copy');
    const size = gzip.length + closing.length;
    // Kept whole only where it fits the share (lru-cache refuses larger entries, which would then
    // cost a buffer of their own per replay).
    if (this.inflatedLately.get(key) === gzip.crc && size + 2 * key.length <= this.wholeReplays.maxSize) {
      const bytes = Buffer.allocUnsafeSlow(size);
      this.buffers.inflateInto(bytes, gzip.deflated, gzip.length, closing);
      this.wholeReplays.set(key, { answer, closing, bytes });
      return bytes;
    }
    this.inflatedLately.set(key, gzip.crc); // the data's CRC: it holds nothing of the answer
    const bytes = this.buffers.lend(size);
    this.buffers.inflateInto(bytes, gzip.deflated, gzip.length, closing);
    return bytes;
  }

  /** Whether `bytes`, a replay's, is lent (wholeReplayOf): to give back once the response is written. */
  lends(bytes: Buffer): boolean {
    return this.buffers.lends(bytes);
  }

  /** A lent replay's bytes are written: they may be lent again. */
  giveBack(bytes: Buffer): void {
    this.buffers.giveBack(bytes);
  }

  /**
   * The compressed copy of `answer` (just read at `key`) for a replay in gzip, made at the first
   * such replay and kept with it: compressing every answer as it was kept cost each executed
   * Customer 360 page ~0.25 ms of deflate (4% of warm W3's CPU) for clients that may never ask
   * for gzip. Undefined for answers the compression plugin would not compress in one call (over
   * 256 KiB: it streams those) or under the threshold; those replay identity for the plugin.
   */
  gzipOf(key: string, answer: KeptAnswer): GzipPrefix | undefined {
    const { data } = answer;
    const bytes = data?.length ?? answer.gzip?.length ?? 0;
    if (bytes < this.gzipFromBytes) return undefined; // also every answer when COMPRESSION=off
    if (answer.gzip !== undefined) return answer.gzip;
    if (data === undefined || bytes > GZIP_KEPT_MAX_BYTES || bytes >= this.maxBytes) return undefined;
    const gzip = gzipPrefixOf(data);
    // Kept in place of the entry it was made from, with that entry's expiry; its larger size may
    // evict others, or the entry itself when the copy does not fit (it is still sent).
    if (this.answers.peek(key) === answer) this.answers.set(key, { ...answer, gzip }, { noUpdateTTL: true });
    return gzip;
  }

  clear(): void {
    this.generation += 1;
    this.answers.clear();
    this.wholeReplays.clear();
    this.inflatedLately.clear();
  }
}

/**
 * The key of a POSTed GraphQL request, or undefined when it is not one we replay or share
 * (answers-in-flight.ts).
 * `partition`: what else decides the answer (tenant, scopes); never a secret, keys are kept in memory only.
 * `persistedDocumentOf`: the text of an automatic persisted query's hash, if known at once; a
 * request by hash alone then has its text's key. One that sends its text with the hash is a
 * registration, which only Apollo carries out: it is never answered from here.
 */
export function answerKeyOf(body: unknown, partition = '', persistedDocumentOf?: (hash: string) => string | undefined): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { variables, operationName, extensions } = body as Record<string, unknown>;
  let { query } = body as Record<string, unknown>;
  if (extensions !== undefined) {
    const hash = query === undefined && persistedDocumentOf ? persistedHashOf(extensions) : undefined;
    if (hash === undefined) return undefined;
    query = persistedDocumentOf!(hash);
  }
  if (typeof query !== 'string') return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  if (/^\s*mutation\b/.test(query)) return undefined;
  // The text's SHA-256, not the text: the 800 characters of a Customer 360 query were ~1.6 KB
  // of every key's share of the budget, about a seventh of the compressed page (one hash of the
  // text costs ~2 µs a request; numbering texts in a map instead let new texts, junk included,
  // push every kept answer out of reach, and held texts outside the budget).
  return `${partition}\u0000${operationName ?? ''}\u0000${JSON.stringify(variables ?? {})}\u0000${hash('sha256', query, 'base64')}`;
}

/**
 * The hash of extensions that are an automatic persisted query's and nothing else (any other
 * extension may change the answer, so such requests are never replayed).
 */
function persistedHashOf(extensions: unknown): string | undefined {
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const { persistedQuery, ...others } = extensions as Record<string, unknown>;
  if (Object.keys(others).length > 0 || typeof persistedQuery !== 'object' || persistedQuery === null) return undefined;
  const { version, sha256Hash } = persistedQuery as Record<string, unknown>;
  return version === 1 && typeof sha256Hash === 'string' ? sha256Hash : undefined;
}
