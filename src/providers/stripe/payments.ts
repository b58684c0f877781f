import { NotFoundError } from '../../errors.ts';
import { toConnection, type Connection } from '../../model/connection.ts';
import type { PaymentModel, PaymentStatusModel } from '../../model/types.ts';
import type { StripeLoaders } from './loaders.ts';

export interface PaymentsArgs {
  first: number;
  /** Charge id the page starts after. */
  afterId: string | null;
  status: PaymentStatusModel | null;
}

export const PAYMENT_CURSOR_SCOPE = 'payment';

/**
 * A connection over a customer's charges. Stripe cannot filter charges by status, so the filter
 * runs here over Stripe's pages; the first page (100 charges) covers almost every customer, so
 * the common case stays one call.
 */
export async function paymentsOf(loaders: StripeLoaders, stripeCustomer: string, args: PaymentsArgs): Promise<Connection<PaymentModel>> {
  const charges: PaymentModel[] = [];
  let page = await loaders.chargePage.load(stripeCustomer);
  charges.push(...page.payments);
  const nextPage = async () => {
    const last = charges.at(-1);
    if (!last) return false;
    page = await loaders.chargePage.load(`${stripeCustomer} ${last.id}`);
    charges.push(...page.payments);
    return page.payments.length > 0;
  };

  let start = 0;
  if (args.afterId !== null) {
    while (!charges.some((c) => c.id === args.afterId) && page.hasMore && (await nextPage()));
    start = charges.findIndex((c) => c.id === args.afterId) + 1;
    if (start === 0) throw new NotFoundError('The payments cursor points at a payment this customer no longer has', 'after');
  }
  const matches = () => charges.slice(start).filter((c) => args.status === null || c.status === args.status);
  while (matches().length <= args.first && page.hasMore && (await nextPage()));

  return toConnection(PAYMENT_CURSOR_SCOPE, matches(), { first: args.first, hasPreviousPage: start > 0 });
}
