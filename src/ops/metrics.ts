import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Telemetry } from '../telemetry.ts';
import { DEFAULT_MAX_OPERATIONS, OperationMetrics } from './operation-metrics.ts';
import { stateMetrics, type MetricSources } from './state-metrics.ts';
import { upstreamTelemetry } from './upstream-metrics.ts';

export type { MetricSources } from './state-metrics.ts';
export type { OperationMetrics, OperationSeries } from './operation-metrics.ts';

export interface MetricsOptions {
  /** Distinct operation names labelled by name; later ones count as `other`. */
  maxOperations?: number;
}

export interface Metrics {
  /** This gateway's series and the process's (merged): what /metrics serves and the /ops page reads. */
  readonly registry: Registry;
  /** The sink the upstream pipeline, the entity cache and the breakers report to. */
  readonly telemetry: Telemetry;
  /** What the GraphQL layer records per operation (operation-metrics-plugin.ts) and per replay. */
  readonly operations: OperationMetrics;
  /** Gives the scrape-time sources once the gateway is built (breakers, quotas, backlogs, webhooks). */
  watch(sources: MetricSources): void;
}

/**
 * Every series of the gateway, in a registry of its own: prom-client's global one would mix the
 * series of the several gateways a test process runs. The names and labels are the contract with
 * the alert rules, Grafana and the /ops page (README, "Metrics"). The process series
 * (collectDefaultMetrics, without prefix) are merged in from processRegistry().
 */
export function createMetrics({ maxOperations = DEFAULT_MAX_OPERATIONS }: MetricsOptions = {}): Metrics {
  const own = new Registry();
  const telemetry = upstreamTelemetry(own);
  const operations = new OperationMetrics(own, maxOperations);
  const state = stateMetrics(own);
  // Merged once every series is registered: the merged registry holds the same metric objects,
  // and nothing registers into `own` later.
  const registry = Registry.merge([own, processRegistry()]);
  return { registry, telemetry, operations, watch: (sources) => state.watch(sources) };
}

let processSeries: Registry | undefined;

/**
 * The process's series, collected once per process: collectDefaultMetrics starts a GC observer
 * and an event-loop monitor that are never stopped, so per gateway they would pile up and keep
 * every closed gateway's registry (and, through the state gauges' sources, its upstream stack)
 * reachable. Process figures are the process's, whichever gateway serves them.
 */
export function processRegistry(): Registry {
  if (processSeries === undefined) {
    processSeries = new Registry();
    collectDefaultMetrics({ register: processSeries });
  }
  return processSeries;
}
