import type { Dataset } from '../dataset/dataset.ts';

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
  /** How the latency fault waits; default a timer. Tests pass one that records instead. */
  sleep?: (ms: number) => Promise<unknown>;
  /** Seed of the default dice (default 7): the same faults in the same order on every run. */
  faultSeed?: number;
}

export interface SimulatorHandle {
  readonly name: 'customers' | 'stripe' | 'hubspot';
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}
