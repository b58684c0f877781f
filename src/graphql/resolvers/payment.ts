import type { PaymentResolvers } from '../../generated/graphql.ts';
import { toGlobalId } from '../../model/global-id.ts';

export const Payment: PaymentResolvers = {
  id: (payment) => toGlobalId('Payment', payment.id),
  amount: (payment) => payment.amount,
  amountRefunded: (payment) => payment.amountRefunded,
  status: (payment) => payment.status,
  createdAt: (payment) => payment.createdAt,
  description: (payment) => payment.description,
  customer: (payment, _args, ctx) =>
    payment.stripeCustomerId === null ? null : ctx.customers.byStripeRef.load(payment.stripeCustomerId),
};
