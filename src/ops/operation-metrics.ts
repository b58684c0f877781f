import { Counter, Histogram, type Registry } from 'prom-client';
import type { CounterCells, Cell } from './counter-cells.ts';
import { OTHER_OPERATION, RESERVED_OPERATION_LABELS } from './operation-label.ts';
import { cellCounter, DURATION_BUCKETS } from './upstream-metrics.ts';

/** Distinct operation names counted by name by default; later ones count as `other` (METRICS_MAX_OPERATIONS). */
export const DEFAULT_MAX_OPERATIONS = 100;
/** Distinct error codes counted by code; the codes are the gateway's and Apollo's, this only fences a surprise. */
const MAX_ERROR_CODES = 50;

const COST_BUCKETS = [1, 10, 50, 100, 500, 1000, 5000];
const UPSTREAM_CALL_BUCKETS = [0, 1, 2, 5, 10, 25, 50, 100, 250];
const TYPES = new Set(['query', 'mutation', 'subscription']);

/** What came of a refresh that was due: `skipped` while maxConcurrent others ran (the limit binds). */
export type RefreshOutcome = 'kept' | 'dropped' | 'failed' | 'skipped';

type HistogramChild = ReturnType<Histogram<'operation'>['labels']>;

/**
 * One operation name's series, resolved once per request: its request count is a cell, its
 * histograms are prom-client children, so recording takes no lookup by label.
 */
export class OperationSeries {
  constructor(
    private readonly requests: Cell,
    private readonly label: string,
    private readonly metrics: OperationMetrics,
    private readonly duration: HistogramChild,
    private readonly cost: HistogramChild,
    private readonly upstreamCalls: HistogramChild,
  ) {}

  /** An operation that ran: how long it took, its cost estimate (if made), and the calls it made upstream. */
  ran(seconds: number, cost: number | undefined, upstreamCalls: number): void {
    this.requests.value += 1;
    this.duration.observe(seconds);
    if (cost !== undefined) this.cost.observe(cost);
    this.upstreamCalls.observe(upstreamCalls);
  }

  /** An answer replayed by the result cache: a request that made no upstream call. */
  replayed(seconds: number, cost: number | undefined): void {
    this.ran(seconds, cost, 0);
  }

  /** An error in the answer, by its `extensions.code`. */
  failed(code: string): void {
    this.metrics.countError(this.label, code);
  }
}

/**
 * The operation series: requests by name and type, errors by code, duration, estimated cost and
 * upstream calls per operation. Names come from clients' documents, so at most `maxOperations`
 * distinct ones become labels (first come, kept for the gateway's life); the rest count as
 * `other`. The caller passes a label from operationLabel(), never a raw name.
 */
export class OperationMetrics {
  private readonly requests: CounterCells;
  private readonly errors: CounterCells;
  private readonly duration: Histogram<'operation'>;
  private readonly cost: Histogram<'operation'>;
  private readonly upstreamCalls: Histogram<'operation'>;
  private readonly results: CounterCells;
  private readonly refreshes: CounterCells;
  private readonly shared: Counter;
  /** By operation name, then type. */
  private readonly series = new Map<string, Map<string, OperationSeries>>();
  private readonly codes = new Set<string>();
  /** Slots taken by clients' operation names (the reserved labels take none). */
  private named = 0;

  constructor(
    registry: Registry,
    private readonly maxOperations = DEFAULT_MAX_OPERATIONS,
  ) {
    if (!(Number.isInteger(maxOperations) && maxOperations >= 0)) throw new TypeError(`maxOperations must be a non-negative integer: ${maxOperations}`);
    this.requests = cellCounter(registry, 'tributary_graphql_requests_total', 'GraphQL requests by operation name and type, result-cache replays and shared answers included', ['operation', 'type']);
    this.errors = cellCounter(registry, 'tributary_graphql_errors_total', 'Errors in GraphQL answers, by extensions.code', ['operation', 'code']);
    const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, labelNames: ['operation'], buckets, registers: [registry] });
    this.duration = histogram('tributary_graphql_request_duration_seconds', 'GraphQL request duration', DURATION_BUCKETS);
    this.cost = histogram('tributary_graphql_estimated_cost', 'Estimated cost of each operation (calls + objects)', COST_BUCKETS);
    this.upstreamCalls = histogram('tributary_graphql_upstream_calls', 'Provider calls made per operation', UPSTREAM_CALL_BUCKETS);
    this.results = cellCounter(registry, 'tributary_result_cache_lookups_total', 'Whole-answer cache lookups', ['outcome']);
    this.shared = new Counter({ name: 'tributary_graphql_shared_answers_total', help: 'Requests given the answer of the identical query in flight instead of running it', registers: [registry] });
    this.refreshes = cellCounter(registry, 'tributary_result_cache_refreshes_total', 'Kept answers built again before they expire: kept, dropped (errors, stale data, an invalidation meanwhile), failed, or skipped (as many runs as allowed were under way)', ['outcome']);
  }

  /** The series of an operation: by its label (operationLabel(); `other` past the cap) and type. */
  seriesOf(operation: string, type: string | undefined): OperationSeries {
    const kind = type !== undefined && TYPES.has(type) ? type : 'unknown';
    let byType = this.series.get(operation);
    if (byType === undefined) {
      const reserved = RESERVED_OPERATION_LABELS.has(operation);
      if (!reserved && this.named >= this.maxOperations) return this.seriesOf(OTHER_OPERATION, kind);
      if (!reserved) this.named += 1;
      this.series.set(operation, (byType = new Map()));
    }
    let series = byType.get(kind);
    if (series === undefined) {
      const labels = { operation };
      series = new OperationSeries(this.requests.cell(operation, kind), operation, this, this.duration.labels(labels), this.cost.labels(labels), this.upstreamCalls.labels(labels));
      byType.set(kind, series);
    }
    return series;
  }

  /** A whole-answer cache lookup. */
  resultCacheLookup(outcome: 'hit' | 'miss'): void {
    this.results.add(1, outcome);
  }

  /** A request given the answer of the identical operation in flight (answers-in-flight.ts). */
  sharedAnswer(): void {
    this.shared.inc();
  }

  /** A kept answer built again ahead of its expiry (result-cache-refresh.ts), and what came of it. */
  resultCacheRefresh(outcome: RefreshOutcome): void {
    this.refreshes.add(1, outcome);
  }

  countError(operation: string, code: string): void {
    if (!this.codes.has(code)) {
      if (this.codes.size >= MAX_ERROR_CODES && code !== 'other') return this.countError(operation, 'other');
      this.codes.add(code);
    }
    this.errors.add(1, operation, code);
  }
}
