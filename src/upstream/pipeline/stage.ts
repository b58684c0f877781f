import type { IncomingHttpHeaders } from 'node:http';
import type { CallContext } from '../call-context.ts';

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /**
   * Safe to repeat after a lost answer: a POST that only reads (batch reads) or carries an
   * idempotency key, a PATCH of absolute values or with If-Match. A write that is not is sent once.
   */
  idempotent?: boolean;
  /** Statuses the caller handles itself besides 2xx (e.g. 404 for "no such object"). */
  expect?: readonly number[];
  call: CallContext;
  /**
   * The entity-cache resource this call reads (`stripe.charges`), `write` for a write: the label
   * its telemetry counts under. Bounded by construction; `other` when unset.
   */
  resource?: string;
  /** Which attempt of the call this is, 1 for the first (the retry stage sets it for later ones). */
  attempt?: number;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty body (304). */
  body: unknown;
  /** Attempts the pipeline made for this answer, when more than one: a write's earlier one may have landed. */
  attempts?: number;
}

export type Send = (req: UpstreamRequest) => Promise<UpstreamResponse>;

/** One stage of the pipeline: given the rest of it, a send that wraps the rest (undici's interceptor shape). */
export type Stage = (next: Send) => Send;

/** `stages` outermost first, `transport` last. */
export function compose(stages: readonly Stage[], transport: Send): Send {
  return stages.reduceRight<Send>((next, stage) => stage(next), transport);
}
