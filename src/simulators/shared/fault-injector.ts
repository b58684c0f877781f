/** The body of `POST /_sim/faults`; every field is optional and a POST replaces them all. */
export interface Faults {
  /** Added before answering, in milliseconds. */
  latencyMs?: number;
  /** Share of requests (0..1) answered with `errorStatus` in the provider's error format. */
  errorRate?: number;
  /** Default 500. */
  errorStatus?: number;
  /** Every request gets 503 in the provider's error format. */
  outage?: boolean;
  /** Replaces the provider's own request budget. */
  rateLimit?: { limit: number; windowMs: number };
  /** Share of requests answered 200 with a body that is not valid JSON. */
  malformedRate?: number;
  /** Share of requests whose body is cut short under a Content-Length that promised more. */
  truncateRate?: number;
  /** Share of requests whose socket is destroyed before any response (nothing was done). */
  resetRate?: number;
  /**
   * Share of requests whose socket is destroyed after the handler ran, before any response: the
   * work is done (a refund happened, a record changed, its webhook went out) and only the answer
   * is lost, the case idempotency keys and conditional writes exist for.
   */
  resetAfterRate?: number;
  /**
   * The same, for exactly the next N requests (counted down as they come), so a test can lose one
   * answer and see the retry that follows succeed.
   */
  resetAfterNext?: number;
  /** HubSpot: every OAuth access token is treated as expired. */
  expireTokens?: boolean;
  /**
   * HubSpot: the most associations one v4 page holds (GET and batch read), replacing the
   * simulator's own `associationPageSize`, so a test can make every association list page.
   */
  associationPageSize?: number;
}

/** Holds the active faults and rolls the dice for the rate-based ones. */
export class FaultInjector {
  readonly #initial: Faults;
  readonly #random: () => number;
  #current: Faults;

  constructor(initial: Faults = {}, random: () => number = Math.random) {
    this.#initial = { ...initial };
    this.#current = { ...initial };
    this.#random = random;
  }

  get current(): Faults {
    return this.#current;
  }

  set(faults: Faults): void {
    this.#current = { ...faults };
  }

  /** Back to the faults the simulator started with (e.g. the `latencyMs` of startSimulators). */
  reset(): void {
    this.#current = { ...this.#initial };
  }

  /** Whether this request's answer is one of the next `resetAfterNext` to lose; counts it down. */
  takeResetAfter(): boolean {
    const left = this.#current.resetAfterNext ?? 0;
    if (left <= 0) return false;
    this.#current = { ...this.#current, resetAfterNext: left - 1 };
    return true;
  }

  /** True with the given probability; an absent or zero rate never fires. */
  roll(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.#random() < rate;
  }
}
