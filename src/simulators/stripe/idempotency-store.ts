import type { SimResponse } from '../shared/sim-request.ts';
import { stripeError } from './stripe-error.ts';

const MAX_KEY_LENGTH = 255;

interface StoredResult {
  fingerprint: string;
  response: SimResponse;
  requestId: string;
}

/**
 * Stripe's Idempotency-Key rules for POST: the first result is replayed for the same key (per
 * API key), the same key with different parameters is an `idempotency_error`. As in Stripe, only
 * requests that got as far as executing are saved: a 4xx from parameter validation is not, so the
 * caller can fix the request and reuse the key. Records live until `POST /_sim/reset`.
 */
export class IdempotencyStore {
  readonly #results = new Map<string, StoredResult>();

  run(
    principal: string,
    key: string | undefined,
    fingerprint: string,
    requestId: string,
    execute: () => SimResponse,
  ): SimResponse {
    if (key === undefined) return execute();
    if (key.length > MAX_KEY_LENGTH) {
      return stripeError(400, 'invalid_request_error', `Idempotency-Key must be at most ${MAX_KEY_LENGTH} characters long.`);
    }
    const slot = `${principal}\u0000${key}`;
    const stored = this.#results.get(slot);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        return stripeError(
          400,
          'idempotency_error',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        );
      }
      return {
        ...stored.response,
        headers: { ...stored.response.headers, 'idempotent-replayed': 'true', 'original-request': stored.requestId },
      };
    }
    const response = execute();
    if (response.status < 400 || response.status >= 500) {
      this.#results.set(slot, { fingerprint, response, requestId });
    }
    return response;
  }

  reset(): void {
    this.#results.clear();
  }
}
