import { ErrorCode, IdempotencyError, UpstreamError } from '../../errors.ts';
import { moneyFromClient } from '../../model/money.ts';
import type { RefundPaymentPayloadModel, RefundReasonModel, UserErrorModel } from '../../model/writes.ts';
import type { WriteDefinition, WriteOutcome } from '../../writes/write-definition.ts';
import type { WriteEnv } from '../write-env.ts';
import type { RefundParams } from './client.ts';
import type { WireRefund } from './wire.ts';

/** `refundPayment`'s input as stored with a deferred write: plain JSON, ids already decoded. */
export interface RefundPaymentInput {
  /** The Stripe charge id. */
  chargeId: string;
  amount: { amount: string; currency: string } | null;
  reason: RefundReasonModel | null;
}

/** Stripe's refusals that are the client's business, by Stripe error code. */
const REFUSALS: Record<string, Pick<UserErrorModel, 'code' | 'field'>> = {
  amount_too_large: { code: 'AMOUNT_TOO_LARGE', field: ['input', 'amount'] },
  charge_already_refunded: { code: 'ALREADY_REFUNDED', field: ['input', 'paymentId'] },
  charge_not_refundable: { code: 'NOT_REFUNDABLE', field: ['input', 'paymentId'] },
  charge_disputed: { code: 'NOT_REFUNDABLE', field: ['input', 'paymentId'] },
  resource_missing: { code: 'PAYMENT_NOT_FOUND', field: ['input', 'paymentId'] },
};

/**
 * A refund: the charge (from the cache when there) for its currency and customer, then
 * `POST /v1/refunds` with the key derived from the client's, so that however often it is sent
 * (a retry after a lost answer, the worker after an outage) Stripe refunds once.
 */
export const refundPayment: WriteDefinition<WriteEnv, RefundPaymentInput, RefundPaymentPayloadModel> = {
  mutation: 'refundPayment',
  provider: 'stripe',
  needsKey: true,
  repeatable: true,
  deferrable: () => true,
  check(input) {
    if (input.amount && !moneyFromClient(input.amount.amount, input.amount.currency)) {
      return [{ code: 'INVALID_AMOUNT', message: `${input.amount.amount} ${input.amount.currency} is not a positive amount with the currency's digits`, field: ['input', 'amount'] }];
    }
    return [];
  },
  async run(env, input): Promise<WriteOutcome<RefundPaymentPayloadModel>> {
    const payment = await env.stripe.chargeById.load(input.chargeId);
    if (!payment) return refused({ code: 'PAYMENT_NOT_FOUND', message: `No payment ${input.chargeId}`, field: ['input', 'paymentId'] });
    const params: RefundParams = { charge: input.chargeId };
    if (input.amount) {
      const money = moneyFromClient(input.amount.amount, input.amount.currency);
      if (!money) return refused(this.check(input)[0]!);
      if (money.currency !== payment.amount.currency) {
        return refused({ code: 'CURRENCY_MISMATCH', message: `The payment is in ${payment.amount.currency}, not ${money.currency}`, field: ['input', 'amount', 'currency'] });
      }
      params.amount = Number(money.minorUnits);
    }
    if (input.reason) params.reason = input.reason.toLowerCase() as NonNullable<RefundParams['reason']>;
    const answer = await env.clients.stripe.createRefund(params, env.upstreamKey, env.call);
    // The payload reads the payment again, after the refund: not the copy loaded above.
    env.stripe.chargeById.clear(input.chargeId);
    if ('refused' in answer) {
      const { code, message } = answer.refused;
      if (code === 'idempotency_error') {
        throw new IdempotencyError(ErrorCode.IdempotencyKeyReused, 'Stripe already holds a refund made with this Idempotency-Key and other parameters', 422);
      }
      const refusal = REFUSALS[code];
      if (!refusal) throw new UpstreamError(ErrorCode.UpstreamRejected, 'stripe', 'Stripe rejected the refund', { detail: code });
      return refused({ ...refusal, message });
    }
    const customer = payment.stripeCustomerId;
    return {
      payload: { kind: 'RefundPaymentPayload', status: 'SUCCEEDED', operationId: null, userErrors: [], refund: toRefund(answer.refund), paymentId: input.chargeId },
      // The charge and its customer's first page are read again; Stripe's own events follow.
      effects: [
        { kind: 'invalidate', resource: 'stripe.charge', id: input.chargeId },
        ...(customer === null
          ? []
          : [
              { kind: 'invalidate' as const, resource: 'stripe.charges' as const, id: customer },
              { kind: 'publish' as const, topic: 'payment' as const, key: customer, entityId: input.chargeId },
            ]),
      ],
    };
  },
  pending: (status, operationId, userErrors) => ({ kind: 'RefundPaymentPayload', status, operationId, userErrors, refund: null, paymentId: null }),
};

function refused(error: UserErrorModel): WriteOutcome<RefundPaymentPayloadModel> {
  return { payload: refundPayment.pending('FAILED', null, [error]), effects: [] };
}

function toRefund(refund: WireRefund): RefundPaymentPayloadModel['refund'] {
  const reason = refund.reason === 'duplicate' ? 'DUPLICATE' : refund.reason === 'fraudulent' ? 'FRAUDULENT' : refund.reason === 'requested_by_customer' ? 'REQUESTED_BY_CUSTOMER' : null;
  return {
    id: refund.id,
    amountMinor: String(refund.amount),
    currency: refund.currency.toUpperCase(),
    status: refund.status.toUpperCase(),
    reason,
    createdAt: new Date(refund.created * 1000).toISOString(),
  };
}
