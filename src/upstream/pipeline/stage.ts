import type { IncomingHttpHeaders } from 'node:http';
import type { CallContext } from '../call-context.ts';

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** A POST that only reads (batch reads) or carries an idempotency key: safe to repeat. */
  idempotent?: boolean;
  /** Statuses the caller handles itself besides 2xx (e.g. 404 for "no such object"). */
  expect?: readonly number[];
  call: CallContext;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty body (304). */
  body: unknown;
}

export type Send = (req: UpstreamRequest) => Promise<UpstreamResponse>;

/** One stage of the pipeline: given the rest of it, a send that wraps the rest (undici's interceptor shape). */
export type Stage = (next: Send) => Send;

/** `stages` outermost first, `transport` last. */
export function compose(stages: readonly Stage[], transport: Send): Send {
  return stages.reduceRight<Send>((next, stage) => stage(next), transport);
}
