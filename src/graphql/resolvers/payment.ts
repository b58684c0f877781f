import type { PaymentResolvers } from '../../generated/graphql.ts';
import { globalIdOf } from '../../model/global-id.ts';

// Other fields read the model's property of the same name (graphql-js's default resolver).
export const Payment: PaymentResolvers = {
  id: (payment) => globalIdOf('Payment', payment),
  customer: (payment, _args, ctx) =>
    payment.stripeCustomerId === null ? null : ctx.customers.byStripeRef.load(payment.stripeCustomerId),
};
