import type { IncomingHttpHeaders } from 'node:http';

/** One request as a simulator handler sees it: the body is already read. */
export interface SimRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** A fresh UUID per request (HubSpot's correlationId, the seed of Stripe's request-id). */
  readonly requestId: string;
  /** Path parameters of the matched route, already percent-decoded. */
  params: Record<string, string>;
  /** The credential that authenticated the request; empty on public routes. */
  principal: string;
}

/**
 * What a handler answers. Handlers return a value instead of writing to the socket so that the
 * fault injector can still mangle the response (malformed, truncated) after the work is done.
 */
export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON; `undefined` means no body at all (204, 304). */
  body?: unknown;
}

/** The first value of a request header, or undefined. */
export function headerValue(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function withHeaders(response: SimResponse, headers: Record<string, string>): SimResponse {
  return { ...response, headers: { ...headers, ...response.headers } };
}
