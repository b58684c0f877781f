/**
 * A client's response as the gateway sent it, kept so that a repeat of the same request (same
 * Idempotency-Key, same payload) gets exactly this back without anything running again.
 */
export interface StoredResponse {
  status: number;
  /** Only the headers a replay must repeat (content type); lower-case names. */
  headers: Record<string, string>;
  /** The response body as sent (a GraphQL JSON answer). */
  body: string;
}

/** What `claim` found under a key. */
export type Claim =
  /** Nobody held the key: the caller runs the request and then completes or releases the claim. */
  | { outcome: 'claimed'; token: string }
  /** A finished request with the same fingerprint: its response, to send again. */
  | { outcome: 'replay'; response: StoredResponse }
  /** The key is held (running or finished) by a request with another fingerprint. */
  | { outcome: 'mismatch' }
  /** A request with the same fingerprint holds the key and has not finished. */
  | { outcome: 'in-progress' };

/**
 * Idempotency keys of client requests (the IETF Idempotency-Key draft), shared by every gateway
 * instance (Redis) or kept in process (the embedded default). `key` is already namespaced and
 * hashed by the caller (tenant, client, the client's key): the store never sees a client's key in
 * clear. All methods are atomic with respect to each other for one key.
 */
export interface IdempotencyStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Claims `key` for a request whose payload has `fingerprint`, or says what holds it. A claim
   * that is never completed nor released lapses after `leaseMs` (a crashed instance), so the key
   * can be used again.
   */
  claim(key: string, fingerprint: string, leaseMs: number): Promise<Claim>;
  /**
   * Stores the response under the caller's claim (`token`) for `ttlMs`; false when the claim was
   * lost meanwhile (it lapsed and another request took the key), in which case nothing is stored.
   */
  complete(key: string, token: string, response: StoredResponse, ttlMs: number): Promise<boolean>;
  /** Gives the key up (the request did nothing worth replaying); a no-op unless `token` still holds it. */
  release(key: string, token: string): Promise<void>;
}
