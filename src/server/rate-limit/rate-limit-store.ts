/**
 * One budget to check and spend: `limit` units per `windowMs`, of which this request takes
 * `amount` (0 only reads it, for the RateLimit field).
 */
export interface Budget {
  /** Names the budget inside the store; the keys of one call share a `{hash tag}` (Redis Cluster). */
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly amount: number;
}

/** A budget after the call: what is left, and when it is whole again. */
export interface BudgetState {
  /** Units that may still be spent now (after this call's amount, when it was spent). */
  readonly remaining: number;
  /** Milliseconds until the budget is whole again. */
  readonly resetMs: number;
  /** Milliseconds until this call's amount fits this budget; 0 when it fits now. */
  readonly waitMs: number;
}

/**
 * Where budgets live: in process, or in Redis for every instance. One call checks every budget
 * it is given and spends all of them or none (a refusal spends nothing anywhere), so that a
 * request refused by its tenant's budget does not eat into its client's.
 */
export interface RateLimitStore {
  consume(budgets: readonly Budget[]): Promise<{ allowed: boolean; states: BudgetState[] }>;
  /**
   * The same, answered in place, for a store that needs no I/O (the in-process one): the request
   * hook that spends on every request then costs no promise.
   */
  consumeNow?(budgets: readonly Budget[]): { allowed: boolean; states: BudgetState[] };
}

/*
 * The algorithm, in both stores: GCRA (the generic cell rate algorithm), kept as a "debt" per
 * budget, in units of ms × limit so that the arithmetic stays in exact integers (a window of
 * 60 000 ms over 7 units has no exact per-unit interval in ms, and a float one refuses the 7th).
 * Each unit adds `windowMs` to the debt; the debt drains by `limit` per ms; a call fits while
 * the debt stays within `windowMs · limit`. So a client may spend its whole budget at once
 * (a dashboard opening loads its panels together), then one unit per `windowMs / limit`.
 *
 * Why not a fixed window: a client can spend its limit just before a window's edge and again
 * just after it, twice the limit in a moment, every window. GCRA has no edges to game; its
 * worst case is a whole budget after a quiet window plus the steady rate, and its long-run rate
 * is exactly `limit / windowMs`. Why not a sliding log: it keeps one entry per request (for a
 * cost budget, per unit or per request with its amount), where GCRA keeps two numbers per
 * budget, and it answers "when does this amount fit" exactly, which is Retry-After. Nothing ever
 * waits: a call that does not fit is refused with that time.
 */
