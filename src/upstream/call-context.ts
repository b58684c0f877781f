import { ErrorCode, UpstreamError, type ProviderName } from '../errors.ts';
import type { TraceSpan } from '../telemetry.ts';
import { AnswerFreshness } from './answer-freshness.ts';
import { UpstreamReport } from './upstream-report.ts';

/**
 * What every upstream call carries from the operation that needs it: the report its cost goes
 * to, and the operation's deadline. No call outlives its operation: attempts take their timeouts
 * from what is left, and `signal` aborts whatever is still running when the deadline passes.
 */
export class CallContext {
  readonly deadline: number;
  private abortAtDeadline: AbortSignal | undefined;
  /** What expires the waits of `within` still pending when the deadline passes. */
  private waiting: Set<() => void> | undefined;
  /** How long the answer built from these calls may be replayed (see the result cache). */
  readonly freshness: AnswerFreshness;
  /**
   * The span the calls made with this context belong to: the operation's (set by the server
   * before it runs), or a batch's on a `traced` view. Undefined while tracing is off.
   */
  trace: TraceSpan | undefined;

  constructor(
    readonly report: UpstreamReport,
    /** The whole operation's budget in milliseconds; a background refresh gets the same. */
    readonly budgetMs: number,
    /**
     * Who the call is for (a client id), opaque here: queues that calls wait in (bulkhead, quota)
     * serve different keys fairly, so one client's flood delays mostly itself.
     */
    readonly fairnessKey = '',
    /**
     * Reads with this context ask the provider again whatever the cache holds (conditionally,
     * where it sends validators), join no fetch already in flight (it may predate what the caller
     * knows), and fail rather than fall back to a stale copy: an event's refresh.
     */
    readonly revalidate = false,
    /**
     * The id of the gateway request the calls serve, opaque here: telemetry carries it so that a
     * provider failure's log line names the request it failed.
     */
    readonly requestId: string | undefined = undefined,
    /**
     * Reads with this context fetch again what would stop being fresh soon (dueForRefresh) rather
     * than use it: the run that rebuilds a replayed answer before it expires (result-cache-refresh.ts).
     */
    readonly refreshAhead = false,
    /** @internal The call a `traced` view is of: its deadline's signal and waits are that call's. */
    private readonly viewed?: CallContext,
  ) {
    this.deadline = viewed ? viewed.deadline : Date.now() + budgetMs;
    this.freshness = viewed ? viewed.freshness : new AnswerFreshness();
    this.trace = undefined;
  }

  /**
   * Aborts at the deadline. Made on first use: an operation answered from the cache never needs
   * one, and each costs a timer that lives until the deadline.
   */
  get signal(): AbortSignal {
    if (this.viewed) return this.viewed.signal;
    return (this.abortAtDeadline ??= AbortSignal.timeout(Math.max(0, this.remainingMs())));
  }

  remainingMs(): number {
    return this.deadline - Date.now();
  }

  /** For work that outlives the response (background refreshes): its own report and deadline. */
  background(): CallContext {
    return new CallContext(new UpstreamReport(), this.budgetMs, this.fairnessKey, false, this.requestId);
  }

  /** The same report, client and what is left of the deadline, but reads that supersede whatever is cached (see `revalidate`). */
  revalidating(): CallContext {
    const revalidating = new CallContext(this.report, Math.max(1, this.remainingMs()), this.fairnessKey, true, this.requestId);
    revalidating.trace = this.trace;
    return revalidating;
  }

  /**
   * This very call (report, deadline, client, freshness) with its calls under `span`: a batch
   * hands it to its fetch, so that the attempts are the batch's children. Only made while tracing.
   */
  traced(span: TraceSpan): CallContext {
    const view = new CallContext(this.report, this.budgetMs, this.fairnessKey, this.revalidate, this.requestId, this.refreshAhead, this);
    view.trace = span;
    return view;
  }

  timeoutError(provider: ProviderName): UpstreamError {
    return new UpstreamError(ErrorCode.UpstreamTimeout, provider, `${provider} did not answer within the operation's deadline`, { byGateway: true });
  }

  /**
   * Waits for `promise`, but not past this operation's deadline (it may belong to another). One
   * listener on the signal expires every wait still pending (Node warns past ten listeners), and
   * a wait that settles leaves nothing behind: a race against a promise of the deadline kept
   * every settled wait's result reachable until the deadline passed (5 s of a warm page's
   * garbage, found in a heap snapshot; docs/performance.md).
   */
  within<T>(promise: Promise<T>, provider: ProviderName): Promise<T> {
    if (this.viewed) return this.viewed.within(promise, provider);
    const signal = this.signal;
    if (signal.aborted) return Promise.reject(this.timeoutError(provider));
    if (!this.waiting) {
      const waiting = (this.waiting = new Set());
      signal.addEventListener('abort', () => {
        for (const expire of waiting) expire();
        waiting.clear();
      }, { once: true });
    }
    const waiting = this.waiting;
    return new Promise<T>((resolve, reject) => {
      const expire = () => reject(this.timeoutError(provider));
      waiting.add(expire);
      promise.then(
        (value) => {
          waiting.delete(expire);
          resolve(value);
        },
        (error: unknown) => {
          waiting.delete(expire);
          reject(error);
        },
      );
    });
  }
}

