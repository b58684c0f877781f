import { signStripe, type StripeCharge } from '../src/simulators/index.ts';

/** One webhook delivery, signed before the run so that signing is not on the measured path. */
export interface SignedDelivery {
  eventId: string;
  chargeId: string;
  body: Buffer;
  signature: string;
}

/**
 * Stripe's `charge.refunded` for a full refund of `charge`, as the simulator would send it: the
 * charge after the refund, and in `previous_attributes` the two fields the refund changed. A
 * gateway holding the charge as it was before replaces its copy with this one, without a call.
 */
export function chargeRefundedEvent(eventId: string, charge: StripeCharge, createdSec: number): Record<string, unknown> {
  const previous: Partial<StripeCharge> = { amount_refunded: charge.amount_refunded };
  if (!charge.refunded) previous.refunded = false;
  return {
    id: eventId,
    object: 'event',
    api_version: '2025-02-24.acacia',
    created: createdSec,
    data: { object: { ...charge, amount_refunded: charge.amount, refunded: true }, previous_attributes: previous },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'charge.refunded',
  };
}

/**
 * `count` deliveries of distinct events (ids `evt_<tag><n>`, so none is a duplicate of another or
 * of another run's), cycling through `charges`, each signed with `secret` at `nowSec`.
 */
export function signedRefunds(charges: readonly StripeCharge[], count: number, options: { secret: string; nowSec: number; tag: string }): SignedDelivery[] {
  if (charges.length === 0) throw new TypeError('signedRefunds needs at least one charge');
  if (!/^[A-Za-z0-9]{1,16}$/.test(options.tag)) throw new TypeError(`tag must be 1-16 letters or digits: ${JSON.stringify(options.tag)}`);
  return Array.from({ length: count }, (_, n) => {
    const charge = charges[n % charges.length] as StripeCharge;
    const eventId = `evt_${options.tag}${n.toString(36).padStart(8, '0')}`;
    const body = JSON.stringify(chargeRefundedEvent(eventId, charge, options.nowSec));
    return { eventId, chargeId: charge.id, body: Buffer.from(body), signature: signStripe(options.secret, options.nowSec, body)['stripe-signature'] };
  });
}

/** Charges a full refund changes: not refunded yet. */
export function refundable(charges: readonly StripeCharge[]): StripeCharge[] {
  return charges.filter((charge) => !charge.refunded && charge.amount_refunded < charge.amount);
}

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles (the same rule as bench/measure-load.ts); zeros when there is nothing. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}
