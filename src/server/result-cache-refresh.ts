import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { Principal } from '../auth/principal.ts';
import type { OperationExecutor } from '../graphql/executor/operation-executor.ts';
import type { RefreshOutcome } from '../ops/operation-metrics.ts';
import { ownBytes } from './own-bytes.ts';
import type { OperationContext } from './operation-context.ts';
import type { KeptAnswer, ResultCache } from './result-cache.ts';

/** What a kept answer was run from, as Apollo had it ready (parsed, validated): enough to run it again. */
export interface AnswerRecipe {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly operationName: string | null;
  readonly variables: Record<string, unknown> | undefined;
}

export interface AnswerRefresherOptions {
  cache: ResultCache;
  executor: OperationExecutor;
  /** A context for `principal` whose reads fetch what is due soon (CallContext.refreshAhead). */
  contextFor: (principal: Principal) => OperationContext;
  /** Runs at once at most; a refresh due while they run is skipped (a later replay asks again). */
  maxConcurrent?: number;
  /** Told of a run that failed outright (its errors reach no client: the kept answer stays until it expires). */
  onError?: (error: unknown) => void;
  /** Told of each run's outcome (metrics). */
  onOutcome?: (outcome: RefreshOutcome) => void;
}

/** Two at once: enough to keep a few hundred hot pages ahead of their freshness, a sliver of one core. */
const DEFAULT_MAX_CONCURRENT = 2;

/**
 * Builds replayed answers again shortly before they stop being fresh (refresh-ahead), in the
 * background, so that a hot answer is replaced by a fresh one instead of expiring: without it,
 * every page built from charge lists filled together expired together, and for the seconds after
 * most requests ran their operation again and waited for Stripe (W3's refresh waves, and its p99).
 *
 * The run is the operation Apollo kept (same document, variables, and a principal of the same
 * partition: the one whose replay found it due, authenticated just now), executed with the same
 * executor but none of the request's plugins: it answers no client, so it charges no client's
 * cost budget and counts no client operation. Only an answer with no errors is kept, by the same
 * ticket rule as a request's (an invalidation meanwhile drops it). Each kept answer is tried once:
 * one that could not be refreshed (a provider failing) expires as it would have, and the next
 * request runs it as before.
 */
export class AnswerRefresher {
  private readonly running = new Set<string>();
  private readonly tried = new WeakSet<KeptAnswer>();
  private readonly maxConcurrent: number;
  private readonly settling = new Set<Promise<void>>();

  constructor(private readonly options: AnswerRefresherOptions) {
    this.maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
  }

  /** `answer`, kept at `key` and just replayed to `principal`, is due (ResultCache.refreshDue): build it again unless that is under way. */
  due(key: string, answer: KeptAnswer, principal: Principal): void {
    const { recipe } = answer;
    if (recipe === undefined || this.tried.has(answer) || this.running.has(key) || this.running.size >= this.maxConcurrent) return;
    this.tried.add(answer);
    this.running.add(key);
    const run = this.refresh(key, answer, recipe, principal)
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

  /** Whether the answer it built was kept. */
  private async refresh(key: string, answer: KeptAnswer, recipe: AnswerRecipe, principal: Principal): Promise<boolean> {
    const { cache } = this.options;
    const ticket = cache.ticket(key);
    const context = this.options.contextFor(principal);
    const result = await this.options.executor({ ...recipe, contextValue: context });
    if (result.errors?.length || result.data === undefined || result.data === null) return false;
    const ttlMs = context.call.freshness.reusableForMs(cache.now());
    // What Apollo writes ahead of the extensions for the same result (stringifyResult), and what
    // the request's own keeping cuts from its payload (dataOf): the same bytes a run would keep.
    const data = ownBytes(Buffer.from(`{"data":${JSON.stringify(result.data)}`, 'utf8'));
    return cache.set(ticket, { data, estimate: answer.estimate, operation: answer.operation, recipe }, ttlMs, context.call.freshness.refreshWithinMs);
  }
}
