import { BulkheadRejectedError, bulkhead, type BulkheadPolicy } from 'cockatiel';
import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import { ErrorCode, UpstreamError, isUpstreamError, type ProviderName } from '../errors.ts';
import type { Credential } from './auth/credential.ts';
import type { CallContext } from './call-context.ts';
import type { Quota } from './quota/quota-guard.ts';
import { pauseFromResponse } from './quota/rate-limit-signals.ts';
import type { BreakerState, CircuitBreaker } from './resilience/circuit-breaker.ts';
import type { RetryPolicy } from './resilience/retry-policy.ts';
import { parseRetryAfter } from './retry-after.ts';

export interface UpstreamClientOptions {
  provider: ProviderName;
  /** Origin plus an optional path prefix, e.g. `https://api.stripe.com`. */
  baseUrl: string;
  credential: Credential;
  /** Headers every request carries besides authorization (API version). */
  headers: Record<string, string>;
  quota: Quota;
  retry: RetryPolicy;
  breaker: CircuitBreaker;
  /** Calls in flight at once, and calls allowed to queue for a slot. */
  bulkhead: { maxConcurrent: number; maxQueued: number };
  /** Cap on each attempt's connect, headers and body timeouts, in milliseconds. */
  attemptTimeoutMs: number;
  /** Longest a call waits for quota before UPSTREAM_RATE_LIMITED. */
  quotaMaxWaitMs: number;
}

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

/**
 * The one way any provider is called. The stages, outermost first:
 *   retry (safe requests, jittered, budgeted, deadline-bound)
 *   → credential (one renewal and retry after a 401)
 *   → bulkhead (caps concurrent calls; bounded queue; a full one is our back-pressure, so it
 *     sits outside the breaker and never counts as the provider failing)
 *   → circuit breaker (fails at once while open)
 *   → quota guard (waits for budget, never past the deadline)
 *   → undici keep-alive pool, timeouts from what is left of the deadline
 *   → status and body mapped to public error codes.
 * Providers add paths and payload validation on top; nothing else opens a connection.
 */
export class UpstreamClient {
  readonly provider: ProviderName;
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly bulkhead: BulkheadPolicy;

  constructor(private readonly options: UpstreamClientOptions) {
    this.provider = options.provider;
    const url = new URL(options.baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections: options.bulkhead.maxConcurrent, keepAliveTimeout: 10_000 /* 10s */ });
    this.bulkhead = bulkhead(options.bulkhead.maxConcurrent, options.bulkhead.maxQueued);
  }

  get breakerState(): BreakerState {
    return this.options.breaker.state;
  }

  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const safe = req.method === 'GET' || req.idempotent === true;
    return this.options.retry.run(req.call, safe, async () => {
      try {
        return await this.guarded(req);
      } catch (error) {
        const unauthorized = isUpstreamError(error) && error.code === ErrorCode.UpstreamUnauthorized;
        if (unauthorized && (await this.options.credential.renew())) return this.guarded(req);
        throw error;
      }
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async guarded(req: UpstreamRequest): Promise<UpstreamResponse> {
    const { call } = req;
    try {
      return await this.bulkhead.execute(() => this.options.breaker.execute(() => this.attempt(req), call.signal), call.signal);
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        throw new UpstreamError(ErrorCode.UpstreamUnavailable, this.provider, `too many calls to ${this.provider} in flight`, { detail: 'bulkhead full', byGateway: true });
      }
      if (call.signal.aborted && !isUpstreamError(error)) throw call.timeoutError(this.provider);
      throw error;
    }
  }

  private async attempt(req: UpstreamRequest): Promise<UpstreamResponse> {
    const { call } = req;
    if (call.remainingMs() <= 0) throw call.timeoutError(this.provider);
    const waited = await this.options.quota.acquire(Math.min(this.options.quotaMaxWaitMs, call.remainingMs()));
    call.report.recordQuotaWait(this.provider, waited);
    const timeoutMs = Math.min(this.options.attemptTimeoutMs, call.remainingMs());
    if (timeoutMs <= 0) throw call.timeoutError(this.provider);
    const authorization = await this.options.credential.authorization(call);
    let ok = false;
    let bytes = 0;
    let headersArrived = false;
    const attemptTimeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.pool.request({
        method: req.method,
        path: this.prefix + req.path + queryString(req.query),
        headers: { ...this.options.headers, authorization, accept: 'application/json', ...requestBodyHeaders(req), ...req.headers },
        body: requestBody(req),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.any([call.signal, attemptTimeout]),
      });
      headersArrived = true;
      const status = response.statusCode;
      const text = await response.body.text();
      bytes = Buffer.byteLength(text);
      this.learnFromHeaders(status, response.headers);
      this.checkStatus(status, response.headers, req.expect ?? []);
      const body = parseBody(this.provider, status, response.headers, text);
      ok = true;
      return { status, headers: response.headers, body };
    } catch (error) {
      // An attempt whose timeout was shortened by the operation's deadline was cut by us, not
      // failed by the provider.
      const cutByDeadline = attemptTimeout.aborted && timeoutMs < this.options.attemptTimeoutMs;
      throw cutByDeadline ? call.timeoutError(this.provider) : this.toUpstreamError(error, call, attemptTimeout.aborted, headersArrived);
    } finally {
      call.report.recordCall(this.provider, { ok, bytes });
    }
  }

  private learnFromHeaders(status: number, headers: IncomingHttpHeaders): void {
    const pauseMs = pauseFromResponse(this.provider, status, headers);
    if (pauseMs !== undefined && pauseMs > 0) this.options.quota.pause(pauseMs);
  }

  private checkStatus(status: number, headers: IncomingHttpHeaders, expect: readonly number[]): void {
    if ((status >= 200 && status < 300) || status === 304 || expect.includes(status)) return;
    const detail = `HTTP ${status}`;
    if (status === 401 || status === 403) {
      throw new UpstreamError(ErrorCode.UpstreamUnauthorized, this.provider, `${this.provider} refused the gateway's credentials`, { detail });
    }
    if (status === 429) {
      const retryAfter = parseRetryAfter(first(headers['retry-after'])) ?? 1;
      throw new UpstreamError(ErrorCode.UpstreamRateLimited, this.provider, `${this.provider} is rate limiting the gateway`, { retryAfter, detail });
    }
    if (status >= 500) {
      const retryAfter = parseRetryAfter(first(headers['retry-after']));
      throw new UpstreamError(ErrorCode.UpstreamUnavailable, this.provider, `${this.provider} is unavailable (HTTP ${status})`, {
        detail,
        transient: true,
        ...(retryAfter === undefined ? {} : { retryAfter }),
      });
    }
    throw new UpstreamError(ErrorCode.UpstreamRejected, this.provider, `${this.provider} rejected the gateway's request (HTTP ${status})`, { detail });
  }

  private toUpstreamError(error: unknown, call: CallContext, attemptTimedOut: boolean, headersArrived: boolean): UpstreamError {
    if (isUpstreamError(error)) return error;
    const code = String((error as { code?: unknown } | null)?.code ?? (error as { name?: unknown } | null)?.name ?? 'unknown');
    if (call.signal.aborted) return call.timeoutError(this.provider);
    if (attemptTimedOut || /TIMEOUT/i.test(code)) {
      return new UpstreamError(ErrorCode.UpstreamTimeout, this.provider, `${this.provider} did not answer in time`, { detail: code, transient: true });
    }
    if (headersArrived) {
      // The answer started and broke off: a truncated body is a bad response, worth one more try.
      return new UpstreamError(ErrorCode.UpstreamBadResponse, this.provider, `${this.provider} sent an incomplete answer`, { detail: code, transient: true });
    }
    return new UpstreamError(ErrorCode.UpstreamUnavailable, this.provider, `${this.provider} could not be reached`, { detail: code, transient: true });
  }
}

function first(value: string | string[] | undefined): string | undefined {
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
  const type = first(headers['content-type']) ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json/i.test(type)) {
    throw new UpstreamError(ErrorCode.UpstreamBadResponse, provider, `${provider} answered with ${type || 'no content type'}, not JSON`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UpstreamError(ErrorCode.UpstreamBadResponse, provider, `${provider} sent a body that is not valid JSON`, { detail: 'JSON.parse failed' });
  }
}
