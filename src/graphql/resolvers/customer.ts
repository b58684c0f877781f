import type { CustomerResolvers } from '../../generated/graphql.ts';
import { checkFirst, decodeCursor, type Connection } from '../../model/connection.ts';
import { globalIdOf } from '../../model/global-id.ts';
import { dealsOf, DEAL_CURSOR_SCOPE } from '../../providers/hubspot/index.ts';
import { paymentsOf, PAYMENT_CURSOR_SCOPE } from '../../providers/stripe/index.ts';
import { BadUserInputError } from '../../errors.ts';

const EMPTY: Connection<never> = {
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
};

// email, name, createdAt, updatedAt read the model's property of the same name.
export const Customer: CustomerResolvers = {
  id: (customer) => globalIdOf('Customer', customer),
  payments: (customer, args, ctx) => {
    const first = checkFirst(args.first, 10);
    const afterId = decodeCursor(PAYMENT_CURSOR_SCOPE, args.after);
    if (customer.stripeRef === null) return EMPTY;
    // Payment.customer of these payments is this customer: no lookup by Stripe ref needed.
    ctx.customers.byStripeRef.prime(customer.stripeRef, customer);
    return paymentsOf(ctx.stripe, customer.stripeRef, { first, afterId, status: args.status ?? null });
  },
  crmContact: (customer, _args, ctx) => {
    const held = ctx.hubspot.contactOfCustomerNow(customer);
    return held !== undefined ? held : ctx.hubspot.contactOfCustomer.load(customer);
  },
  deals: (customer, args, ctx) => {
    const first = checkFirst(args.first, 10);
    const afterId = decodeCursor(DEAL_CURSOR_SCOPE, args.after);
    if (afterId !== null && !/^\d+$/.test(afterId)) throw new BadUserInputError('Not a valid cursor for deals', 'after');
    return dealsOf(ctx.hubspot, customer, first, afterId);
  },
};
