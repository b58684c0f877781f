import { moneyFromMinorUnits } from '../../model/money.ts';
import type { PaymentModel, PaymentStatusModel } from '../../model/types.ts';
import { mappedOnce } from '../../model/mapped-once.ts';
import type { WireCharge } from './wire.ts';

/**
 * A Charge becomes a Payment. Refund state outranks the charge status: a succeeded charge with
 * `refunded: true` is REFUNDED, with some `amount_refunded` PARTIALLY_REFUNDED.
 */
export const toPayment = mappedOnce((charge: WireCharge): PaymentModel => ({
  kind: 'Payment',
  id: charge.id,
  amount: moneyFromMinorUnits(charge.amount, charge.currency),
  amountRefunded: moneyFromMinorUnits(charge.amount_refunded, charge.currency),
  status: paymentStatus(charge),
  createdAt: new Date(charge.created * 1000),
  description: charge.description,
  stripeCustomerId: charge.customer,
}));

function paymentStatus(charge: WireCharge): PaymentStatusModel {
  if (charge.refunded) return 'REFUNDED';
  if (charge.amount_refunded > 0) return 'PARTIALLY_REFUNDED';
  switch (charge.status) {
    case 'succeeded':
      return 'SUCCEEDED';
    case 'pending':
      return 'PENDING';
    case 'failed':
      return 'FAILED';
  }
}
