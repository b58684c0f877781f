import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DocumentNode } from 'graphql';
import { acceptsGzip, gzipAnswer } from './gzip-replay.ts';
import type { OperationContext } from './operation-context.ts';
import { ownBytes } from './own-bytes.ts';
import { answerKeyOf, type KeptAnswer, type KeptOperation, type ResultCache } from './result-cache.ts';
import type { AnswersInFlight, SharedAnswer } from './answers-in-flight.ts';
import { createSchemaOnlyTest } from './schema-only-answer.ts';

/**
 * A request that missed the result cache (or runs where there is none) and may lead identical
 * requests in flight: its ticket, how to tell its followers its answer, and, once Apollo has
 * decided the answer may be reused, for how long it may be kept and how its serialised
 * `extensions` end the payload. Shared by reference with Apollo's copies of the context.
 */
export interface ResultTicket {
  /** The result cache's ticket (ResultCache.ticket); undefined without a result cache. */
  readonly ticket: string | undefined;
  /** Tells the requests waiting on this one its answer (answers-in-flight.ts); undefined when none can. */
  readonly share: ((answer: SharedAnswer | undefined) => void) | undefined;
  /**
   * How long the request waited on an identical operation whose answer could not be shared,
   * before running its own: its operation's deadline is that much shorter (create-gateway.ts), so
   * that waiting and running together never take longer than one deadline.
   */
  readonly waitedMs?: number;
  keep?: {
    /** 0: shared with the requests waiting on it, not kept. */
    ttlMs: number;
    suffix: string;
    estimate: string | undefined;
    operation?: KeptOperation;
    /** With `document`: the answer can be built again before it expires (result-cache-refresh.ts). */
    refreshWithinMs?: number | undefined;
    document?: DocumentNode | undefined;
  };
}

export interface ResultReuseOptions {
  /** Whole answers replayed while fresh; undefined: none kept. */
  cache: ResultCache | undefined;
  /** Identical operations in flight answered once; undefined: every request runs its own. */
  inFlight: AnswersInFlight | undefined;
  /**
   * How long after its connection closed unanswered a leader is given up on, its followers then
   * running their own (the operation's deadline with room to spare; default 60 s).
   */
  abandonedLeaderMs?: number;
  /** What besides the request decides its answer (the tenant, the scopes): part of the key. */
  partitionOf: (request: FastifyRequest) => string;
  /**
   * The text of a persisted query's hash, when this process holds it without waiting: a request
   * by hash alone then replays (and keeps) what its text would. Absent when APQ is off.
   */
  persistedDocumentOf: ((hash: string) => string | undefined) | undefined;
  /**
   * The answer to send for a kept or shared `{"data":…` (no closing brace): the bytes that close
   * it, with the estimate the answer carried when it ran (it depends only on the key).
   */
  closingOf: (request: FastifyRequest, estimate: string | undefined) => Buffer;
  /** Told of each answer sent without running its operation: replayed, or shared (trace span, access log, metrics). */
  onReused?: (request: FastifyRequest, how: 'cache' | 'shared') => void;
  /** Told of each lookup: the kept answer replayed, or undefined for a miss (metrics). */
  onLookup?: (hit: KeptAnswer | undefined, reply: FastifyReply) => void;
  /**
   * Refresh-ahead (result-cache-refresh.ts): told of each answer kept with the document it can be
   * built again from, and of each replayed answer due to be (ResultCache.refreshDue), with the
   * request that replayed it. Absent: answers expire.
   */
  refresher?: {
    remember(ticket: string, document: DocumentNode): void;
    due(request: FastifyRequest, key: string, answer: KeptAnswer): void;
  };
}

/**
 * Wires whole-answer reuse around Apollo: a Fastify hook answers a replayable request before any
 * GraphQL work, or holds it behind the identical operation already running (AnswersInFlight);
 * an Apollo plugin decides whether a fresh, error-free answer may be reused; and a Fastify onSend
 * hook keeps the very string Apollo wrote, and hands it to the requests held behind it:
 * serialising a 50-customer answer a second time for the cache cost 9% of the CPU of a warm
 * page (docs/performance.md). `extensions` (the upstream report) are not reused: the closing
 * adds the current ones, since a reused answer costs its request no upstream call.
 */
export function registerResultCache(fastify: FastifyInstance, options: ResultReuseOptions): (request: FastifyRequest) => ResultTicket | undefined {
  const { cache, inFlight, partitionOf, persistedDocumentOf, closingOf, onReused, onLookup, refresher, abandonedLeaderMs = 60_000 } = options;
  const tickets = new WeakMap<FastifyRequest, ResultTicket>();
  // A callback hook: it never waits, and an async one would cost every request a promise.
  fastify.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/graphql') return done();
    let answer: Buffer | undefined;
    let gzip = false;
    try {
      const key = answerKeyOf(request.body, partitionOf(request), persistedDocumentOf);
      if (key === undefined) return done();
      const hit: KeptAnswer | undefined = cache?.get(key);
      if (cache !== undefined) onLookup?.(hit, reply);
      if (hit !== undefined) {
        const closing = closingOf(request, hit.estimate);
        // gzip even for a client that prefers br: every client that accepts br accepts gzip, and
        // only gzip can be sent without compressing the whole answer again. Answers that run
        // keep @fastify/compress's choice; a client that refuses gzip gets the plugin's too.
        const prefix = acceptsGzip(request.headers['accept-encoding'], request.headers['x-no-compression'] !== undefined) ? cache!.gzipOf(key, hit) : undefined;
        answer = prefix ? gzipAnswer(prefix, closing) : cache!.answerWith(key, hit, closing);
        gzip = prefix !== undefined;
        if (refresher !== undefined && cache!.refreshDue(hit)) refresher.due(request, key, hit);
      } else {
        const heldAt = performance.now();
        const share = inFlight?.enter(key, (shared) => {
          try {
            if (shared === undefined) {
              // It runs now, as a miss that began now: its answer may be kept like any other.
              tickets.set(request, { ticket: cache?.ticket(key), share: undefined, waitedMs: performance.now() - heldAt });
              done();
            } else sendShared(request, reply, shared);
          } catch (error) {
            void reply.send(error);
          }
        });
        // Held behind the identical operation running: answered when it is, by its onSend.
        if (inFlight !== undefined && share === undefined) return;
        // A leader reaches onSend even when its client has gone (Fastify still sends, to nobody),
        // so its followers wait for its answer. Only one whose connection closed and that still
        // has not answered well past its deadline lets them go, to run their own.
        if (share !== undefined) {
          reply.raw.once('close', () => {
            if (!reply.raw.writableFinished) setTimeout(() => share(undefined), abandonedLeaderMs).unref();
          });
        }
        tickets.set(request, { ticket: cache?.ticket(key), share });
      }
    } catch (error) {
      return done(error as Error);
    }
    if (answer === undefined) return done();
    onReused?.(request, 'cache');
    // Already encoded: the plugin's onSend passes on any reply whose Content-Encoding is not
    // identity; compression.ts's own hook adds `Vary: accept-encoding` to it, as to every JSON answer.
    if (gzip) void reply.header('content-encoding', 'gzip');
    // Lent for this response (an identity replay of a compressed answer): given back once it is
    // written, or its connection gone ('close' follows 'finish', which follows the last write).
    else if (cache!.lends(answer)) reply.raw.once('close', () => cache!.giveBack(answer!));
    // Answered here: the hook chain stops without `done`.
    void reply.type('application/json; charset=utf-8').send(answer);
  });

  // The followers of one answer with the same closing (closings are made once per tenant report
  // and estimate) are sent one copy: nothing writes to bytes handed to a response, and a thousand
  // requests held behind one 63 KB page would otherwise hold 63 MB of copies at once.
  const copies = new WeakMap<SharedAnswer, { closing: Buffer; bytes: Buffer }>();
  /** A held request given its leader's answer: sent like a replay, compressed by the plugin as any answer. */
  function sendShared(request: FastifyRequest, reply: FastifyReply, shared: SharedAnswer): void {
    const closing = closingOf(request, shared.estimate);
    const copy = copies.get(shared);
    let bytes = copy?.closing === closing ? copy.bytes : undefined;
    if (bytes === undefined) {
      bytes = Buffer.allocUnsafe(shared.data.length + closing.length);
      shared.data.copy(bytes, 0);
      closing.copy(bytes, shared.data.length);
      copies.set(shared, { closing, bytes });
    }
    onReused?.(request, 'shared');
    shared.operation?.replayed(reply.elapsedTime / 1000);
    void reply.type('application/json; charset=utf-8').send(bytes);
  }

  fastify.addHook('onSend', (request, reply, payload, done) => {
    const ticket = tickets.get(request);
    if (ticket === undefined) return done(null, payload);
    const { keep, share } = ticket;
    if (keep === undefined || typeof payload !== 'string' || reply.statusCode !== 200) {
      done(null, payload);
      share?.(undefined);
      return;
    }
    // Encoded once, here: the bytes are both kept and sent, where a string would be encoded for
    // the socket and copied again for the cache (docs/performance.md, allocations).
    const bytes = Buffer.from(payload, 'utf8');
    const kept = dataOf(bytes, keep.suffix);
    if (kept !== undefined && cache !== undefined && ticket.ticket !== undefined && keep.ttlMs > 0) {
      const refreshable = refresher !== undefined && keep.document !== undefined;
      if (cache.set(ticket.ticket, { data: ownBytes(kept), estimate: keep.estimate, operation: keep.operation }, keep.ttlMs, refreshable ? keep.refreshWithinMs : undefined) && refreshable) refresher.remember(ticket.ticket, keep.document!);
    }
    done(null, bytes);
    // After its own answer went on its way (the followers only copy from its bytes).
    share?.(kept === undefined ? undefined : { data: kept, estimate: keep.estimate, operation: keep.operation });
  });
  return (request) => tickets.get(request);
}

const DATA_START = Buffer.from('{"data":');

/**
 * `{"data":…` (without its closing brace) out of the bytes of Apollo's
 * `{"data":…,"extensions":…}\n` or `{"data":…}\n` (it writes errors, data, extensions in that
 * order, and no `errors` here), or undefined when the payload is not shaped so. A view of
 * `payload`, not a copy.
 */
export function dataOf(payload: Buffer, suffix: string): Buffer | undefined {
  const end = Buffer.from(suffix, 'utf8');
  if (payload.length < DATA_START.length + end.length) return undefined;
  if (!payload.subarray(0, DATA_START.length).equals(DATA_START) || !payload.subarray(payload.length - end.length).equals(end)) return undefined;
  // Either suffix starts right after the data's own last byte: `}\n` closes the answer, `,"extensions"…` continues it.
  return payload.subarray(0, payload.length - end.length);
}

/**
 * How long an answer fixed by the schema alone (`{ __typename }`) is kept: nothing it depends on
 * changes while the process runs, so this only bounds how long an unused one holds its bytes.
 */
const SCHEMA_ONLY_TTL_MS = 60 * 60 * 1000; // 1 h

export function resultCachePlugin(now: () => number): ApolloServerPlugin<OperationContext> {
  const schemaOnly = createSchemaOnlyTest();
  // One listener for every request, and no promise of its own: it keeps no per-request state.
  const listener: GraphQLRequestListener<OperationContext> = {
    willSendResponse({ response, contextValue, operation, document }) {
      const ticket = contextValue.resultTicket;
      if (ticket === undefined || response.body.kind !== 'single' || operation?.operation !== 'query') return DONE;
      const { data, errors, extensions } = response.body.singleResult;
      if (errors?.length || data === undefined || data === null) return DONE;
      const { call, report } = contextValue;
      // An answer that used no entity has no freshness to go by: kept only when the schema alone decided it.
      let ttlMs = ticket.ticket === undefined ? 0 : call.freshness.reusableForMs(now());
      if (ticket.ticket !== undefined && ttlMs <= 0 && call.freshness.usedNothing && report.isEmpty && document !== undefined && schemaOnly(operation, document)) ttlMs = SCHEMA_ONLY_TTL_MS;
      // Not kept, but still handed to the requests waiting on it (answers-in-flight.ts): they were
      // sent while it ran, so data fresh for it is as fresh for them. Not when some of it was
      // stale: their closing (a report of nothing stale) would hide it.
      if (ttlMs <= 0 && (ticket.share === undefined || report.anyStale)) return DONE;
      ttlMs = Math.max(0, ttlMs);
      // Plugins that add extensions run before this one (see create-gateway.ts): these are final.
      const suffix = extensions === undefined ? '}\n' : `,"extensions":${JSON.stringify(extensions)}}\n`;
      const estimate = contextValue.estimate === undefined ? undefined : JSON.stringify(contextValue.estimate);
      // Built from entities: it can be built again before they stop being fresh (result-cache-refresh.ts).
      const refreshWithinMs = ttlMs > 0 ? call.freshness.refreshWithinMs : undefined;
      ticket.keep = { ttlMs, suffix, estimate, refreshWithinMs, document: refreshWithinMs === undefined ? undefined : document };
      return DONE;
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}

const DONE: Promise<void> = Promise.resolve();
