import type { StripeCharge, StripeRefund } from '../dataset/dataset.ts';
import { randomAlnum } from '../shared/random-alnum.ts';
import { WebhookSender } from '../shared/webhook-sender.ts';
import { signStripe } from './stripe-signature.ts';

/** Stripe's event object (https://docs.stripe.com/api/events/object). */
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  /** Unix seconds. */
  created: number;
  data: { object: StripeCharge | StripeRefund; previous_attributes?: Partial<StripeCharge> };
  livemode: false;
  pending_webhooks: number;
  /** Both null when the change came from the dashboard (here: `POST /_sim/mutate`). */
  request: { id: string | null; idempotency_key: string | null };
  type: 'charge.refunded' | 'refund.created';
}

export interface StripeRequestRef {
  id: string | null;
  idempotency_key: string | null;
}

/**
 * Stripe retries for up to three days with exponential backoff; the simulator keeps the shape
 * and compresses it to seconds.
 */
export const STRIPE_RETRY_DELAYS_MS = [250, 1000, 5000, 15_000];

export interface StripeWebhooksOptions {
  secret: string;
  apiVersion: string;
  clock: () => number;
  sleep?: (ms: number) => Promise<unknown>;
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
}

/** Builds Stripe's events for the account's changes and hands them to the sender. */
export class StripeWebhooks {
  readonly sender: WebhookSender<StripeEvent>;
  readonly #options: StripeWebhooksOptions;

  constructor(options: StripeWebhooksOptions) {
    this.#options = options;
    this.sender = new WebhookSender<StripeEvent>({
      defaultSecret: options.secret,
      defaultRetryDelaysMs: options.retryDelaysMs ?? STRIPE_RETRY_DELAYS_MS,
      clock: options.clock,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      // The same event JSON on every attempt; only the signature's timestamp moves, as Stripe does.
      render: ({ payload }, { secret, now }) => {
        const body = JSON.stringify(payload, null, 2);
        const headers = { ...signStripe(secret, Math.floor(now / 1000), body), 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
        return { body, headers };
      },
    });
  }

  /**
   * A refund makes two events: `charge.refunded` (the charge after it, with the attributes it
   * changed as they were) and `refund.created`. Previous attributes list only what changed, as
   * Stripe's do: `refunded` appears only when this refund completed the charge.
   */
  refunded(refund: StripeRefund, charge: StripeCharge, before: Pick<StripeCharge, 'amount_refunded' | 'refunded'>, request: StripeRequestRef): void {
    const previous: Partial<StripeCharge> = { amount_refunded: before.amount_refunded };
    if (before.refunded !== charge.refunded) previous.refunded = before.refunded;
    this.#emit('charge.refunded', { object: structuredClone(charge), previous_attributes: previous }, request);
    this.#emit('refund.created', { object: structuredClone(refund) }, request);
  }

  #emit(type: StripeEvent['type'], data: StripeEvent['data'], request: StripeRequestRef): void {
    const event: StripeEvent = {
      id: `evt_${randomAlnum(24)}`,
      object: 'event',
      api_version: this.#options.apiVersion,
      created: Math.floor(this.#options.clock() / 1000),
      data,
      livemode: false,
      pending_webhooks: Math.max(1, this.sender.describe().endpoints.length),
      request,
      type,
    };
    this.sender.send({ id: event.id, types: [type], payload: event });
  }
}
