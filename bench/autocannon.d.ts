/**
 * The part of autocannon 8's programmatic API the harness uses. autocannon ships no types and
 * @types/autocannon describes 7.x, so the few options and result fields we rely on are declared
 * here, as lib/run.js and lib/aggregateResult.js of 8.0.0 define them.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** Called before each request is sent; returns the request to send. */
    setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
    /** Called with every response; autocannon always reads the whole body. */
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string | string[]>) => void;
  }

  interface AutocannonOptions {
    url: string;
    connections?: number;
    /** Seconds; the run stops at the first one-second sample tick after it. */
    duration?: number;
    /** Requests to send in all, instead of a duration. */
    amount?: number;
    /** Seconds a request may take before it counts as a timeout. */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    requests?: AutocannonRequest[];
  }

  interface Distribution {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p99: number;
  }

  interface AutocannonResult {
    /** Seconds. */
    duration: number;
    /** Socket errors and timeouts. */
    errors: number;
    timeouts: number;
    /** Responses that were not 2xx. */
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    /** Per-second samples of completed requests; `total` completed, `sent` written. */
    requests: Distribution & { total: number; sent: number };
    /** Per-second samples of response bytes; `total` bytes. */
    throughput: Distribution & { total: number };
    /** Milliseconds, integer resolution. */
    latency: Distribution;
  }

  interface AutocannonInstance extends EventEmitter, PromiseLike<AutocannonResult> {
    stop(): void;
  }

  function autocannon(options: AutocannonOptions): AutocannonInstance;
  export default autocannon;
}
