import type { Faults } from './fault-injector.ts';
import type { Router } from './router.ts';
import type { SimRequest, SimResponse } from './sim-request.ts';
import type { ProviderName } from './stats-recorder.ts';
import type { WebhookAdmin } from './webhook-sender.ts';

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
  /** The provider's webhooks; the server resets it with the rest and stops it on close. */
  readonly webhooks: WebhookAdmin;
  /**
   * `POST /_sim/mutate` (the parsed JSON body, `{"action": …}`): a change made outside the API,
   * answered with the changed object or the provider's own 400/404, and announced by webhook.
   */
  mutate(body: unknown): SimResponse;
}
