import { createHash } from 'node:crypto';

export type ProviderName = 'customers' | 'stripe' | 'hubspot';

/**
 * How stats name an account without holding its secret: the first 12 hex digits of the SHA-256
 * of its credential (a token, a secret key, `oauth:<refresh token>` for an OAuth installation).
 */
export function credentialFingerprint(credential: string): string {
  return createHash('sha256').update(credential, 'utf8').digest('hex').slice(0, 12);
}

/** The body of `GET /_sim/stats`. */
export interface SimStats {
  provider: ProviderName;
  requests: number;
  /** `"GET /v1/customers/:id" → { "200": 3, "304": 1 }`; unmatched requests are `"GET *"`. */
  byRoute: Record<string, Record<string, number>>;
  byStatus: Record<string, number>;
  /** Response body bytes actually written (headers excluded). */
  bytesSent: number;
  notModified: number;
  rateLimited: number;
  /** Authenticated requests per account, by `credentialFingerprint`: which tenant's keys were used. */
  byCredential: Record<string, number>;
  /** Requests that carried a valid W3C `traceparent` header. */
  traced: number;
  /** Those requests per trace id, for the first MAX_TRACE_IDS trace ids seen (as a tracing backend would group them). */
  byTraceId: Record<string, number>;
}

/** Trace ids remembered since the last reset: enough for tests, bounded under a traced load. */
const MAX_TRACE_IDS = 1000;
/** W3C Trace Context `traceparent`: version 00, trace id, parent id, flags (https://www.w3.org/TR/trace-context/#traceparent-header). */
const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Status `0` stands for "no response": the socket was destroyed by a reset fault (`resetRate`
 * before the handler ran, `resetAfterRate` after it), the way HAR files and browsers report a
 * request that never got an answer.
 */
export const NO_RESPONSE_STATUS = 0;

/** Counts what a simulator answered, so gateway tests can assert how many upstream calls it made. */
export class StatsRecorder {
  readonly #provider: ProviderName;
  #stats: SimStats;

  constructor(provider: ProviderName) {
    this.#provider = provider;
    this.#stats = this.#empty();
  }

  record(routeKey: string, status: number, bytes: number): void {
    const stats = this.#stats;
    const code = String(status);
    const route = (stats.byRoute[routeKey] ??= {});
    route[code] = (route[code] ?? 0) + 1;
    stats.byStatus[code] = (stats.byStatus[code] ?? 0) + 1;
    stats.requests += 1;
    stats.bytesSent += bytes;
    if (status === 304) stats.notModified += 1;
    if (status === 429) stats.rateLimited += 1;
  }

  /** An authenticated request of the account `credential` (its budget key). */
  recordCredential(credential: string): void {
    const fingerprint = credentialFingerprint(credential);
    this.#stats.byCredential[fingerprint] = (this.#stats.byCredential[fingerprint] ?? 0) + 1;
  }

  /** A request's `traceparent` header, if any; a malformed one counts as none, as a provider would ignore it. */
  recordTraceparent(header: string | string[] | undefined): void {
    const match = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
    if (!match || /^0+$/.test(match[1]!)) return;
    const stats = this.#stats;
    stats.traced += 1;
    const traceId = match[1]!;
    const seen = stats.byTraceId[traceId];
    if (seen !== undefined) stats.byTraceId[traceId] = seen + 1;
    else if (Object.keys(stats.byTraceId).length < MAX_TRACE_IDS) stats.byTraceId[traceId] = 1;
  }

  snapshot(): SimStats {
    return structuredClone(this.#stats);
  }

  reset(): void {
    this.#stats = this.#empty();
  }

  #empty(): SimStats {
    return { provider: this.#provider, requests: 0, byRoute: {}, byStatus: {}, bytesSent: 0, notModified: 0, rateLimited: 0, byCredential: {}, traced: 0, byTraceId: {} };
  }
}
