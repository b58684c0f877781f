import type { Dataset } from '../dataset/dataset.ts';
import type { WebhookControl } from './webhook-sender.ts';

/** Options every `createXSimulator` accepts. */
export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, read it back from the handle's `url`. */
  port?: number;
  /** Default `buildDataset()` (seed 42). Share one dataset between simulators. */
  dataset?: Dataset;
  /** Credentials accepted besides the default one, all seeing the same data (more tenants). */
  extraCredentials?: string[];
  /** Initial fault latency in milliseconds; `POST /_sim/reset` comes back to it. */
  latencyMs?: number;
  /** Milliseconds since the epoch; inject a fake clock to test windows and token expiry. */
  clock?: () => number;
  /** The dice for rate-based faults; default a stream seeded by `faultSeed`. */
  random?: () => number;
  /** How the latency fault and webhook retries wait; default a timer. Tests pass one that records instead. */
  sleep?: (ms: number) => Promise<unknown>;
  /** Waits between webhook attempts; default the provider's schedule, compressed. `POST /_sim/webhooks` may replace it. */
  webhookRetryDelaysMs?: readonly number[];
  /** How long one webhook attempt may take, in milliseconds; default 10 000. */
  webhookTimeoutMs?: number;
  /** Seed of the default dice (default 7): the same faults in the same order on every run. */
  faultSeed?: number;
}

export interface SimulatorHandle {
  readonly name: 'customers' | 'stripe' | 'hubspot';
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  /** Where its webhooks go, what became of them, and a promise for when none is under way. */
  readonly webhooks: WebhookControl;
  /** Stops webhook deliveries under way, then the server. */
  close(): Promise<void>;
}
