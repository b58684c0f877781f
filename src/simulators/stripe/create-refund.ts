import type { RefundReason, StripeCharge, StripeRefund } from '../dataset/dataset.ts';
import { randomAlnum } from '../shared/random-alnum.ts';
import type { RouteHandler } from '../shared/router.ts';
import { headerValue, type SimResponse } from '../shared/sim-request.ts';
import type { IdempotencyStore } from './idempotency-store.ts';
import { invalidRequest, resourceMissing } from './stripe-error.ts';
import { stripeRequestId } from './stripe-request-id.ts';
import type { StripeStore } from './stripe-store.ts';
import type { StripeRequestRef, StripeWebhooks } from './stripe-webhooks.ts';

const REASONS: readonly RefundReason[] = ['duplicate', 'fraudulent', 'requested_by_customer'];
const KNOWN_PARAMS = ['charge', 'payment_intent', 'amount', 'reason'];

/** What a refund needs besides its parameters. */
export interface RefundDependencies {
  store: StripeStore;
  clock: () => number;
  webhooks: StripeWebhooks;
}

/**
 * `POST /v1/refunds` (form-encoded `charge=` or `payment_intent=`, optional `amount`, `reason`,
 * `metadata[…]`). A refund moves the charge's `amount_refunded` and `refunded`; the whole call is
 * wrapped in Stripe's Idempotency-Key semantics, so a replay announces nothing again.
 */
export function createRefund(deps: RefundDependencies, idempotency: IdempotencyStore): RouteHandler {
  return (req) => {
    const params = new URLSearchParams(req.body.toString('utf8'));
    const fingerprint = `${req.method} ${req.path} ${[...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).join('&')}`;
    const key = headerValue(req, 'idempotency-key');
    const request = { id: stripeRequestId(req), idempotency_key: key ?? null };
    const response = idempotency.run(req.principal, key, fingerprint, request.id, () => refund(deps, params, request));
    return key === undefined ? response : { ...response, headers: { ...response.headers, 'idempotency-key': key } };
  };
}

/** Validates, refunds and announces `charge.refunded` and `refund.created`; shared with `POST /_sim/mutate`. */
export function refund({ store, clock, webhooks }: RefundDependencies, params: URLSearchParams, request: StripeRequestRef): SimResponse {
  const metadata: Record<string, string> = {};
  for (const [name, value] of params) {
    const metadataKey = /^metadata\[(.+)\]$/.exec(name)?.[1];
    if (metadataKey !== undefined) metadata[metadataKey] = value;
    else if (!KNOWN_PARAMS.includes(name) && !/^expand(\[\d*\])?$/.test(name)) {
      return invalidRequest(`Received unknown parameter: ${name}`, { code: 'parameter_unknown', param: name });
    }
  }
  const charge = findCharge(store, params);
  if (!('object' in charge)) return charge;
  const reason = params.get('reason');
  if (reason !== null && !REASONS.includes(reason as RefundReason)) {
    return invalidRequest(`Invalid reason: must be one of ${REASONS.join(', ')}`, { param: 'reason' });
  }
  if (charge.status === 'failed') {
    return invalidRequest(`Charge ${charge.id} cannot be refunded because it failed.`, { code: 'charge_not_refundable' });
  }
  const unrefunded = charge.amount - charge.amount_refunded;
  if (unrefunded === 0) {
    return invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
  }
  const amount = parseAmount(params.get('amount'), unrefunded);
  if (typeof amount !== 'number') return amount;

  const created: StripeRefund = {
    id: `re_${randomAlnum(24)}`,
    object: 'refund',
    amount,
    balance_transaction: charge.status === 'succeeded' ? `txn_${randomAlnum(24)}` : null,
    charge: charge.id,
    created: Math.floor(clock() / 1000),
    currency: charge.currency,
    metadata,
    payment_intent: charge.payment_intent,
    reason: reason as RefundReason | null,
    status: charge.status === 'succeeded' ? 'succeeded' : 'pending',
  };
  const before = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  store.applyRefund(created, charge, clock());
  webhooks.refunded(created, charge, before, request);
  return { status: 200, body: created };
}

function findCharge(store: StripeStore, params: URLSearchParams): StripeCharge | SimResponse {
  const chargeId = params.get('charge');
  const paymentIntentId = params.get('payment_intent');
  if (chargeId !== null && paymentIntentId !== null) {
    return invalidRequest('You may only specify one of these parameters: charge, payment_intent.');
  }
  if (chargeId !== null) return store.charge(chargeId) ?? resourceMissing('charge', chargeId, 'charge');
  if (paymentIntentId !== null) {
    const intent = store.paymentIntent(paymentIntentId);
    if (!intent) return resourceMissing('payment_intent', paymentIntentId, 'payment_intent');
    return store.charge(intent.latest_charge) ?? resourceMissing('charge', intent.latest_charge, 'payment_intent');
  }
  return invalidRequest('One of the following params should be provided for this request: payment_intent or charge.');
}

/** Amounts are integers in the currency's smallest unit (yen for JPY), defaulting to all that is left. */
function parseAmount(raw: string | null, unrefunded: number): number | SimResponse {
  if (raw === null) return unrefunded;
  if (!/^-?\d+$/.test(raw)) return invalidRequest(`Invalid integer: ${raw}`, { code: 'parameter_invalid_integer', param: 'amount' });
  const amount = Number(raw);
  if (amount < 1) return invalidRequest('This value must be greater than or equal to 1.', { param: 'amount' });
  if (amount > unrefunded) {
    return invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${unrefunded})`, {
      code: 'amount_too_large',
      param: 'amount',
    });
  }
  return amount;
}
