import autocannon from 'autocannon';
import { BENCH_HEADERS } from './bench-credentials.ts';

export interface LoadOptions {
  /** The GraphQL endpoint, on loopback. */
  url: string;
  /** Request bodies; see Workload.bodies. */
  bodies: readonly string[];
  pick: 'first' | 'random';
  connections: number;
  durationSeconds: number;
  /** Seed of the random page choice, so every system is offered the same kind of sequence. */
  seed?: number;
  /** Headers every request carries besides BENCH_HEADERS' (another client's credentials). */
  headers?: Record<string, string>;
  /** Called on every response, e.g. to count throughput per interval during a soak. */
  onResponse?: () => void;
}

export interface LoadResult {
  /** Seconds the load ran, as autocannon measured it. */
  durationSeconds: number;
  /** Requests written, including those still in flight when the run stopped. */
  sent: number;
  /** Responses received, any status. */
  responses: number;
  /** Responses per second over the run. */
  requestsPerSecond: number;
  /** Of every response, in milliseconds, from our own samples (autocannon's are whole ms). */
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  errors: {
    /** The sum of the three below. */
    total: number;
    /** Responses with a status other than 2xx. */
    http: number;
    /** 2xx responses whose body has a top-level `errors` (including partial results). */
    graphql: number;
    /** Connection errors and timeouts (no response). */
    network: number;
  };
  /** Response bytes received (headers and bodies). */
  responseBytes: number;
}

/** Seconds a request may take before autocannon counts it as a timeout. */
const REQUEST_TIMEOUT_S = 10;

/**
 * Closed-loop load: `connections` clients, each sending its next request when the previous
 * answer arrives, for `durationSeconds`. Every response body is checked for GraphQL errors;
 * autocannon reads every body whole anyway, and a substring test costs little beside that.
 */
export async function measureLoad(options: LoadOptions): Promise<LoadResult> {
  const { bodies } = options;
  const first = bodies[0];
  if (first === undefined) throw new TypeError('bodies must hold at least one request body');
  const random = mulberry32(options.seed ?? 1);
  let graphqlErrors = 0;
  const latencies = new LatencySamples();

  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: REQUEST_TIMEOUT_S,
    requests: [
      {
        method: 'POST',
        // A client's own headers (its credentials) replace the bench client's.
        headers: { ...BENCH_HEADERS, ...options.headers },
        body: first,
        ...(options.pick === 'random'
          ? { setupRequest: (request) => ({ ...request, body: bodies[Math.floor(random() * bodies.length)] ?? first }) }
          : {}),
        // A JSON string value cannot hold an unescaped `"`, and no field of the schema is called
        // `errors`, so this key can only be the response's top-level errors.
        onResponse: (status, body) => {
          if (status >= 200 && status < 300 && body.includes('"errors":')) graphqlErrors += 1;
        },
      },
    ],
  });
  const { onResponse } = options;
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
    latencies.add(responseTimeMs);
    onResponse?.();
  });
  const result = await instance;

  const responses = latencies.count;
  const http = result.non2xx;
  const network = result.errors;
  return {
    durationSeconds: result.duration,
    sent: result.requests.sent,
    responses,
    requestsPerSecond: result.duration > 0 ? responses / result.duration : 0,
    latencyMs: latencies.summary(),
    errors: { total: http + graphqlErrors + network, http, graphql: graphqlErrors, network },
    responseBytes: result.throughput.total,
  };
}

/** Response times in a growing Float64Array: a few hundred thousand samples at most. */
class LatencySamples {
  #values = new Float64Array(1 << 14);
  count = 0;

  add(ms: number): void {
    if (this.count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.count++] = ms;
  }

  summary(): { p50: number; p99: number; mean: number; max: number } {
    if (this.count === 0) return { p50: 0, p99: 0, mean: 0, max: 0 };
    const sorted = this.#values.slice(0, this.count).sort();
    const at = (p: number) => sorted[Math.min(this.count - 1, Math.max(0, Math.ceil(p * this.count) - 1))] ?? 0;
    let sum = 0;
    for (const value of sorted) sum += value;
    return { p50: at(0.5), p99: at(0.99), mean: sum / this.count, max: sorted[this.count - 1] ?? 0 };
  }
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence of pages. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
