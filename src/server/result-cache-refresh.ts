import { getOperationAST, type DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../auth/principal.ts';
import type { OperationExecutor } from '../graphql/executor/operation-executor.ts';
import type { RefreshOutcome } from '../ops/operation-metrics.ts';
import { ownBytes } from './own-bytes.ts';
import type { OperationContext } from './operation-context.ts';
import { ResultCache, type KeptAnswer } from './result-cache.ts';

export interface AnswerRefresherOptions {
  cache: ResultCache;
  executor: OperationExecutor;
  /** A context for `principal` whose reads fetch what is due soon (CallContext.refreshAhead). */
  contextFor: (principal: Principal) => OperationContext;
  /** Runs at once at most; a refresh due while they run is skipped (a later replay asks again). */
  maxConcurrent?: number;
  /** Documents kept to run again, by their text's hash; an answer whose document went expires instead. */
  maxDocuments?: number;
  /** Told of a run that failed outright (its errors reach no client: the kept answer stays until it expires). */
  onError?: (error: unknown) => void;
  /** Told of each run's outcome (metrics). */
  onOutcome?: (outcome: RefreshOutcome) => void;
}

/**
 * Four at once. A run mostly waits for its providers (one round trip of the due entities, then a
 * few milliseconds of execution), so this bounds how many answers a second can be kept ahead
 * (about 150 with 20 ms providers) more than it costs CPU; what cannot be kept ahead expires as
 * it would have without refresh-ahead.
 */
const DEFAULT_MAX_CONCURRENT = 4;
/**
 * Distinct documents a refresh can run: a dashboard's few queries, with room. Bounded apart from
 * the answers because a parsed document (and graphql-jit's compilation of it, which lives as
 * long) is tens of kilobytes that the answers' byte budget does not see: kept per answer, a
 * budget full of small answers to distinct texts would hold hundreds of megabytes of them.
 */
const DEFAULT_MAX_DOCUMENTS = 64;

/**
 * Builds replayed answers again shortly before they stop being fresh (refresh-ahead), in the
 * background, so that a hot answer is replaced by a fresh one instead of expiring: without it,
 * every page built from charge lists filled together expired together, and for the seconds after
 * most requests ran their operation again and waited for Stripe (W3's refresh waves, and its p99).
 *
 * The run is the operation the key names (its text's document, as Apollo parsed and validated it
 * when the answer was kept; the variables and operation name the key holds), for a principal of
 * the same partition (the one whose replay found it due, authenticated just now), executed with
 * the same executor but none of the request's plugins: it answers no client, so it charges no
 * client's cost budget and counts no client operation. Only an answer with no errors is kept, by
 * the same ticket rule as a request's (an invalidation meanwhile drops it). Each kept answer is
 * tried once: one that could not be refreshed (a provider failing) expires as it would have, and
 * the next request runs it as before. Best effort: a refresh due while `maxConcurrent` run is
 * skipped, and a later replay of the answer in its last stretch asks again.
 */
export class AnswerRefresher {
  private readonly running = new Set<string>();
  private readonly maxConcurrent: number;
  private readonly documents: LRUCache<string, DocumentNode>;
  private readonly settling = new Set<Promise<void>>();

  constructor(private readonly options: AnswerRefresherOptions) {
    this.maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
    this.documents = new LRUCache({ max: options.maxDocuments ?? DEFAULT_MAX_DOCUMENTS });
  }

  /** The answer kept under `ticket` was built from `document` (Apollo's, parsed and validated): keep it to run again. */
  remember(ticket: string, document: DocumentNode): void {
    const { queryHash } = ResultCache.partsOf(ticket);
    if (this.documents.peek(queryHash) !== document) this.documents.set(queryHash, document);
  }

  /** `answer`, kept at `key` and just replayed to `principal`, is due (ResultCache.refreshDue): build it again unless that is under way. */
  due(key: string, answer: KeptAnswer, principal: Principal): void {
    const { refresh } = answer;
    if (refresh === undefined || refresh.tried || this.running.has(key)) return;
    if (this.running.size >= this.maxConcurrent) return this.options.onOutcome?.('skipped'); // a later replay in the window asks again
    refresh.tried = true;
    const { operationName, variables, queryHash } = ResultCache.partsOf(key);
    const document = this.documents.get(queryHash);
    const operation = document && getOperationAST(document, operationName);
    if (!document || operation?.operation !== 'query') return;
    // Taken now: an invalidation from here on refuses what the run builds.
    const ticket = this.options.cache.ticket(key);
    this.running.add(key);
    const run = new Promise<void>((resolve) => setImmediate(resolve)) // after the replay is sent, not inside its hook
      .then(async () => {
        const context = this.options.contextFor(principal);
        const result = await this.options.executor({ document, operation, operationName, variables, contextValue: context });
        return this.keep(ticket, answer, result, context);
      })
      .then((kept) => this.options.onOutcome?.(kept ? 'kept' : 'dropped'))
      .catch((error: unknown) => {
        this.options.onOutcome?.('failed');
        this.options.onError?.(error);
      })
      .finally(() => {
        this.running.delete(key);
        this.settling.delete(run);
      });
    this.settling.add(run);
  }

  /** Resolves once every refresh under way has ended (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.settling.size > 0) await Promise.all([...this.settling]);
  }

  /** Whether the answer the run built was kept. */
  private keep(ticket: string, answer: KeptAnswer, result: Awaited<ReturnType<OperationExecutor>>, context: OperationContext): boolean {
    const { cache } = this.options;
    if (result.errors?.length || result.data === undefined || result.data === null) return false;
    const { freshness } = context.call;
    const ttlMs = freshness.reusableForMs(cache.now());
    // A run slow enough to end inside the window (a quota wait, a long deadline) keeps its answer
    // but asks for no other run: one run after another would hold a slot for nothing.
    const refreshWithinMs = freshness.refreshWithinMs !== undefined && ttlMs > freshness.refreshWithinMs ? freshness.refreshWithinMs : undefined;
    // What Apollo writes ahead of the extensions for the same result (stringifyResult), and what
    // the request's own keeping cuts from its payload (dataOf): the same bytes a run would keep.
    const data = ownBytes(Buffer.from(`{"data":${JSON.stringify(result.data)}`, 'utf8'));
    return cache.set(ticket, { data, estimate: answer.estimate, operation: answer.operation }, ttlMs, refreshWithinMs);
  }
}
