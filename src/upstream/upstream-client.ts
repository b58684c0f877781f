import { Pool, errors as undiciErrors } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode, UpstreamError, type ProviderName } from '../errors.ts';
import type { Quota } from './quota/quota-guard.ts';
import { pauseFromResponse } from './quota/rate-limit-signals.ts';
import { parseRetryAfter } from './retry-after.ts';
import type { UpstreamReport } from './upstream-report.ts';

export interface UpstreamClientOptions {
  provider: ProviderName;
  /** Origin plus an optional path prefix, e.g. `https://api.stripe.com`. */
  baseUrl: string;
  /** Headers every request carries (authorization, API version). Never logged. */
  headers: Record<string, string>;
  quota: Quota;
  /** Connect, headers and body timeouts, each, in milliseconds. */
  timeoutMs: number;
  /** Sockets kept open to the provider. */
  connections: number;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Statuses the caller handles itself besides 2xx (e.g. 404 for "no such object"). */
  expect?: readonly number[];
  report: UpstreamReport;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty body (304). */
  body: unknown;
}

/**
 * The one way any provider is called: budget from the quota guard, then undici on a keep-alive
 * pool, then the status mapped to a public error code. Providers add paths and payload
 * validation on top; nothing else in the gateway opens a connection.
 */
export class UpstreamClient {
  readonly provider: ProviderName;
  private readonly pool: Pool;
  private readonly prefix: string;

  constructor(private readonly options: UpstreamClientOptions) {
    this.provider = options.provider;
    const url = new URL(options.baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      connectTimeout: options.timeoutMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 10_000, // 10s
    });
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const waited = await this.options.quota.acquire();
    req.report.recordQuotaWait(this.provider, waited);
    let ok = false;
    let bytes = 0;
    try {
      const response = await this.pool.request({
        method: req.method,
        path: this.prefix + req.path + queryString(req.query),
        headers: { ...this.options.headers, ...requestBodyHeaders(req), ...req.headers },
        body: requestBody(req),
        signal: AbortSignal.timeout(this.options.timeoutMs * 2),
      });
      const status = response.statusCode;
      const text = await response.body.text();
      bytes = Buffer.byteLength(text);
      this.learnFromHeaders(status, response.headers);
      this.checkStatus(status, response.headers, req.expect ?? []);
      const body = parseBody(this.provider, status, response.headers, text);
      ok = true;
      return { status, headers: response.headers, body };
    } catch (error) {
      throw this.toUpstreamError(error);
    } finally {
      req.report.recordCall(this.provider, { ok, bytes });
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private learnFromHeaders(status: number, headers: IncomingHttpHeaders): void {
    const pauseMs = pauseFromResponse(this.provider, status, headers);
    if (pauseMs !== undefined && pauseMs > 0) this.options.quota.pause(pauseMs);
  }

  private checkStatus(status: number, headers: IncomingHttpHeaders, expect: readonly number[]): void {
    if ((status >= 200 && status < 300) || status === 304 || expect.includes(status)) return;
    const fail = (code: ErrorCode, message: string, retryAfter?: number) =>
      new UpstreamError(code, this.provider, message, retryAfter, `HTTP ${status}`);
    if (status === 401 || status === 403) {
      throw fail(ErrorCode.UpstreamUnauthorized, `${this.provider} refused the gateway's credentials`);
    }
    if (status === 429) {
      const retryAfter = parseRetryAfter(header(headers, 'retry-after')) ?? 1;
      throw fail(ErrorCode.UpstreamRateLimited, `${this.provider} is rate limiting the gateway`, retryAfter);
    }
    if (status >= 500) throw fail(ErrorCode.UpstreamUnavailable, `${this.provider} is unavailable (HTTP ${status})`);
    throw fail(ErrorCode.UpstreamRejected, `${this.provider} rejected the gateway's request (HTTP ${status})`);
  }

  private toUpstreamError(error: unknown): UpstreamError {
    if (error instanceof UpstreamError) return error;
    const code = (error as { code?: unknown } | null)?.code;
    const name = (error as { name?: unknown } | null)?.name;
    const timedOut =
      error instanceof undiciErrors.ConnectTimeoutError ||
      error instanceof undiciErrors.HeadersTimeoutError ||
      error instanceof undiciErrors.BodyTimeoutError ||
      name === 'TimeoutError';
    if (timedOut) {
      return new UpstreamError(ErrorCode.UpstreamTimeout, this.provider, `${this.provider} did not answer in time`, undefined, String(code ?? name));
    }
    return new UpstreamError(
      ErrorCode.UpstreamUnavailable,
      this.provider,
      `${this.provider} could not be reached`,
      undefined,
      String(code ?? name ?? 'unknown'),
    );
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function queryString(query: UpstreamRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.append(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function requestBodyHeaders(req: UpstreamRequest): Record<string, string> {
  if (req.json !== undefined) return { 'content-type': 'application/json' };
  if (req.form !== undefined) return { 'content-type': 'application/x-www-form-urlencoded' };
  return {};
}

function requestBody(req: UpstreamRequest): string | undefined {
  if (req.json !== undefined) return JSON.stringify(req.json);
  if (req.form !== undefined) return new URLSearchParams(req.form).toString();
  return undefined;
}

function parseBody(provider: ProviderName, status: number, headers: IncomingHttpHeaders, text: string): unknown {
  if (status === 304 || text.length === 0) return undefined;
  const type = header(headers, 'content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json/i.test(type)) {
    throw new UpstreamError(ErrorCode.UpstreamBadResponse, provider, `${provider} answered with ${type || 'no content type'}, not JSON`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UpstreamError(ErrorCode.UpstreamBadResponse, provider, `${provider} sent a body that is not valid JSON`);
  }
}
