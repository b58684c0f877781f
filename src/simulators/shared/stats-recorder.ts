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
}

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

  snapshot(): SimStats {
    return structuredClone(this.#stats);
  }

  reset(): void {
    this.#stats = this.#empty();
  }

  #empty(): SimStats {
    return { provider: this.#provider, requests: 0, byRoute: {}, byStatus: {}, bytesSent: 0, notModified: 0, rateLimited: 0, byCredential: {} };
  }
}
