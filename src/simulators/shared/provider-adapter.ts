import type { Faults } from './fault-injector.ts';
import type { Router } from './router.ts';
import type { SimRequest, SimResponse } from './sim-request.ts';
import type { ProviderName } from './stats-recorder.ts';

export interface RequestContext {
  readonly faults: Faults;
  /** Milliseconds since the epoch, from the simulator's clock. */
  readonly now: number;
}

export type Authentication =
  | { ok: true; principal: string; /** whose request budget this request spends */ budgetKey: string }
  | { ok: false; response: SimResponse };

export interface Admission {
  /** Rate-limit headers every authenticated response carries, allowed or not. */
  headers: Record<string, string>;
  /** Present when the request is over budget: the provider's 429. */
  rejection?: SimResponse;
}

/**
 * What makes one provider different from another. `startSimServer` owns the shared pipeline
 * (admin routes, faults, stats, writing) and asks the adapter only these questions.
 */
export interface ProviderAdapter {
  readonly name: ProviderName;
  readonly router: Router;
  readonly contentType: string;
  authenticate(req: SimRequest, context: RequestContext): Authentication;
  admit(req: SimRequest, budgetKey: string, context: RequestContext): Admission;
  /** An error in the provider's own format, for faults and unknown routes. */
  errorResponse(req: SimRequest, status: number, message: string): SimResponse;
  /** Headers the provider puts on every response (request ids, versions, cache policy). */
  finish?(req: SimRequest, response: SimResponse): SimResponse;
  /** Back to the seeded state: limiter windows, tokens, idempotency records, data mutations. */
  reset(): void;
}
