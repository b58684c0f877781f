import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import { ErrorCode, UpstreamError, isUpstreamError, type ProviderName } from '../../errors.ts';
import type { SpanAttributes, Telemetry } from '../../telemetry.ts';
import type { CallContext } from '../call-context.ts';
import { parseRetryAfter } from '../retry-after.ts';
import { markReported } from '../reported-failures.ts';
import type { UpstreamRequest, UpstreamResponse } from './stage.ts';

export interface HttpTransportOptions {
  provider: ProviderName;
  /** Origin plus an optional path prefix, e.g. `https://api.stripe.com`. */
  baseUrl: string;
  /** Headers every request carries (API version); the credential stage adds authorization. */
  headers: Record<string, string>;
  /** Sockets kept to the provider. */
  connections: number;
  /** Cap on each attempt's connect, headers and body timeouts, in milliseconds. */
  attemptTimeoutMs: number;
  /** Sees every answer's status and headers, for the provider's rate-limit signals. */
  onAnswer: (status: number, headers: IncomingHttpHeaders) => void;
  /** The tenant whose account this transport calls with (telemetry only). */
  tenant: string;
  /** Told of every attempt, answered or not. */
  telemetry: Telemetry;
}

/**
 * Headers in which providers name a request for their support: Stripe's `request-id`, HubSpot's
 * `x-hubspot-correlation-id` (its error bodies repeat it as `correlationId`), the common
 * `x-request-id`. Header names, not provider names: the pipeline stays provider-agnostic.
 */
const PROVIDER_REQUEST_ID_HEADERS = ['request-id', 'x-hubspot-correlation-id', 'x-request-id'] as const;

/**
 * Enough of a failed answer's body for its provider's error code and message, not a whole page:
 * the 1 KiB a log line keeps, and room for an address (at most 254 characters) that straddles its
 * end: the log sink masks personal data before it cuts, so the address is masked whole.
 */
const MAX_ERROR_BODY_CHARS = 1024 + 256;

/**
 * The end of the pipeline: one attempt over an undici keep-alive pool, its timeouts from what is
 * left of the operation's deadline, the status and body mapped to public error codes.
 */
export class HttpTransport {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly server: { readonly 'server.address': string; readonly 'server.port': number };

  constructor(private readonly options: HttpTransportOptions) {
    if (!(options.attemptTimeoutMs > 0)) throw new TypeError(`attemptTimeoutMs must be positive: ${options.attemptTimeoutMs}`);
    if (!(Number.isInteger(options.connections) && options.connections >= 1)) throw new TypeError(`connections must be a positive integer: ${options.connections}`);
    const url = new URL(options.baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.server = { 'server.address': url.hostname, 'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
    this.pool = new Pool(url.origin, { connections: options.connections, keepAliveTimeout: 10_000 /* 10s */ });
  }

  readonly send = async (req: UpstreamRequest): Promise<UpstreamResponse> => {
    const { call } = req;
    const { provider } = this.options;
    const timeoutMs = Math.min(this.options.attemptTimeoutMs, call.remainingMs());
    if (timeoutMs <= 0) {
      this.options.telemetry.upstreamRefused(provider, this.options.tenant, 'deadline');
      throw call.timeoutError(provider);
    }
    let ok = false;
    let bytes = 0;
    let headersArrived = false;
    let status: number | undefined;
    let answerHeaders: IncomingHttpHeaders | undefined;
    let answerText: string | undefined;
    let failure: UpstreamError | undefined;
    const startedAt = performance.now();
    const attemptTimeout = AbortSignal.timeout(timeoutMs);
    // Traced, the attempt is a client span under its batch (or its operation), and the provider
    // is told its trace (W3C Trace Context) in `traceparent`; untraced, neither exists.
    const span = call.trace?.child(`${req.method} ${req.resource ?? 'other'}`, this.attemptAttributes(req), 'client');
    try {
      const response = await this.pool.request({
        method: req.method,
        path: this.prefix + req.path + queryString(req.query),
        headers: { ...this.options.headers, accept: 'application/json', ...requestBodyHeaders(req), ...req.headers, ...span?.traceHeaders() },
        body: requestBody(req),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.any([call.signal, attemptTimeout]),
      });
      headersArrived = true;
      status = response.statusCode;
      answerHeaders = response.headers;
      const text = (answerText = await response.body.text());
      bytes = Buffer.byteLength(text);
      this.options.onAnswer(status, response.headers);
      checkStatus(provider, status, response.headers, req.expect ?? []);
      const body = parseBody(provider, status, response.headers, text);
      ok = true;
      return { status, headers: response.headers, body };
    } catch (error) {
      // An attempt whose timeout was shortened by the operation's deadline was cut by us, not
      // failed by the provider.
      const cutByDeadline = attemptTimeout.aborted && timeoutMs < this.options.attemptTimeoutMs;
      failure = cutByDeadline ? mayHaveArrived(call.timeoutError(provider)) : toUpstreamError(provider, error, call, attemptTimeout.aborted, headersArrived);
      markReported(failure);
      throw failure;
    } finally {
      call.report.recordCall(provider, { ok, bytes });
      const errorCode = ok ? undefined : (failure?.code ?? ErrorCode.UpstreamBadResponse);
      const providerId = answerHeaders && providerRequestId(answerHeaders);
      span?.end({ 'http.response.status_code': status, 'http.response.body.size': bytes, 'tributary.provider_request_id': providerId }, errorCode);
      this.options.telemetry.upstreamAttempt({
        provider,
        tenant: this.options.tenant,
        resource: req.resource ?? 'other',
        method: req.method,
        path: this.prefix + req.path,
        attempt: req.attempt ?? 1,
        status,
        errorCode,
        durationMs: performance.now() - startedAt,
        bytes,
        providerRequestId: providerId,
        requestId: call.requestId,
        errorBody: ok || answerText === undefined ? undefined : answerText.slice(0, MAX_ERROR_BODY_CHARS),
      });
    }
  };

  close(): Promise<void> {
    return this.pool.close();
  }

  /** OpenTelemetry's HTTP client attributes (no query: ids and filters stay out), and ours. */
  private attemptAttributes(req: UpstreamRequest): SpanAttributes {
    const attempt = req.attempt ?? 1;
    return {
      'http.request.method': req.method,
      'url.path': this.prefix + req.path,
      ...this.server,
      'tributary.provider': this.options.provider,
      'tributary.resource': req.resource ?? 'other',
      'tributary.attempt': attempt,
      ...(attempt > 1 ? { 'http.request.resend_count': attempt - 1 } : {}),
    };
  }
}

function checkStatus(provider: ProviderName, status: number, headers: IncomingHttpHeaders, expect: readonly number[]): void {
  if ((status >= 200 && status < 300) || status === 304 || expect.includes(status)) return;
  const detail = `HTTP ${status}`;
  if (status === 401 || status === 403) {
    throw new UpstreamError(ErrorCode.UpstreamUnauthorized, provider, `${provider} refused the gateway's credentials`, { detail, status });
  }
  if (status === 429) {
    const retryAfter = parseRetryAfter(first(headers['retry-after'])) ?? 1;
    throw new UpstreamError(ErrorCode.UpstreamRateLimited, provider, `${provider} is rate limiting the gateway`, { retryAfter, detail });
  }
  // Stripe's "a request with this Idempotency-Key is still in progress" (a retry overtook an
  // attempt that timed out): the same key sent again gets that request's result.
  if (status === 409 && first(headers['stripe-should-retry']) === 'true') {
    throw new UpstreamError(ErrorCode.UpstreamUnavailable, provider, `${provider} is still working on an earlier attempt of this request`, { detail, status, transient: true, mayHaveArrived: true, retryAfter: 1 });
  }
  if (status >= 500) {
    const retryAfter = parseRetryAfter(first(headers['retry-after']));
    throw new UpstreamError(ErrorCode.UpstreamUnavailable, provider, `${provider} is unavailable (HTTP ${status})`, {
      detail,
      transient: true,
      // 503 says the request was not handled (RFC 9110 §15.6.4); other 5xx say nothing of it.
      mayHaveArrived: status !== 503,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
  }
  throw new UpstreamError(ErrorCode.UpstreamRejected, provider, `${provider} rejected the gateway's request (HTTP ${status})`, { detail });
}

function toUpstreamError(provider: ProviderName, error: unknown, call: CallContext, attemptTimedOut: boolean, headersArrived: boolean): UpstreamError {
  if (isUpstreamError(error)) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? (error as { name?: unknown } | null)?.name ?? 'unknown');
  if (call.signal.aborted) return mayHaveArrived(call.timeoutError(provider));
  // Only a connection that was never made surely carried nothing.
  const arrived = !NOT_CONNECTED.has(code);
  if (attemptTimedOut || /TIMEOUT/i.test(code)) {
    return new UpstreamError(ErrorCode.UpstreamTimeout, provider, `${provider} did not answer in time`, { detail: code, transient: true, mayHaveArrived: arrived });
  }
  if (headersArrived) {
    // The answer started and broke off: a truncated body is a bad response, worth one more try.
    return new UpstreamError(ErrorCode.UpstreamBadResponse, provider, `${provider} sent an incomplete answer`, { detail: code, transient: true, mayHaveArrived: true });
  }
  return new UpstreamError(ErrorCode.UpstreamUnavailable, provider, `${provider} could not be reached`, { detail: code, transient: true, mayHaveArrived: arrived });
}

/** Errors of a connection that was never made (undici's and Node's codes). */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The same error, marked as one whose request may have reached the provider. */
function mayHaveArrived(error: UpstreamError): UpstreamError {
  return new UpstreamError(error.code, error.provider, error.message, {
    detail: error.detail ?? '',
    transient: error.transient,
    byGateway: error.byGateway,
    mayHaveArrived: true,
    ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    ...(error.status === undefined ? {} : { status: error.status }),
  });
}

function providerRequestId(headers: IncomingHttpHeaders): string | undefined {
  for (const name of PROVIDER_REQUEST_ID_HEADERS) {
    const value = first(headers[name]);
    if (value) return value;
  }
  return undefined;
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
