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
  /** This gateway's registry: what /metrics serves and the /ops page reads. */
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
 * the alert rules, Grafana and the /ops page (README, "Metrics"); the process series
 * (collectDefaultMetrics) go into the same registry, without prefix.
 */
export function createMetrics({ maxOperations = DEFAULT_MAX_OPERATIONS }: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const telemetry = upstreamTelemetry(registry);
  const operations = new OperationMetrics(registry, maxOperations);
  const state = stateMetrics(registry);
  return { registry, telemetry, operations, watch: (sources) => state.watch(sources) };
}
