import { NotFoundError } from '../../errors.ts';
import { toConnection, type Connection } from '../../model/connection.ts';
import type { PaymentModel, PaymentStatusModel } from '../../model/types.ts';
import type { ChargePage, StripeLoaders } from './loaders.ts';

export interface PaymentsArgs {
  first: number;
  /** Charge id the page starts after. */
  afterId: string | null;
  status: PaymentStatusModel | null;
}

export const PAYMENT_CURSOR_SCOPE = 'payment';

const firstPages = new WeakMap<ChargePage, Map<number, Connection<PaymentModel>>>();

/**
 * The common case, answered from the first page alone: kept per page model and `first`, since a
 * cached page's model is shared by every answer (loaders.ts) and a warm 50-customer page built
 * 50 of these each time.
 */
function firstPageOf(page: ChargePage, first: number): Connection<PaymentModel> {
  let byFirst = firstPages.get(page);
  if (!byFirst) firstPages.set(page, (byFirst = new Map()));
  let connection = byFirst.get(first);
  if (!connection) byFirst.set(first, (connection = toConnection(PAYMENT_CURSOR_SCOPE, page.payments, { first, hasPreviousPage: false })));
  return connection;
}

/**
 * A connection over a customer's charges. Stripe cannot filter charges by status, so the filter
 * runs here over Stripe's pages; the first page (100 charges) covers almost every customer, so
 * the common case stays one call.
 */
export function paymentsOf(loaders: StripeLoaders, stripeCustomer: string, args: PaymentsArgs): Connection<PaymentModel> | Promise<Connection<PaymentModel>> {
  // A first page held fresh answers at once: no promise for graphql-jit to wait on.
  const held = loaders.chargePageNow(stripeCustomer);
  if (held && isFirstPageEnough(held, args)) return firstPageOf(held, args.first);
  return paymentsLoaded(loaders, stripeCustomer, args);
}

function isFirstPageEnough(page: ChargePage, args: PaymentsArgs): boolean {
  return args.afterId === null && args.status === null && (page.payments.length > args.first || !page.hasMore);
}

async function paymentsLoaded(loaders: StripeLoaders, stripeCustomer: string, args: PaymentsArgs): Promise<Connection<PaymentModel>> {
  const charges: PaymentModel[] = [];
  let page = await loaders.chargePage.load(stripeCustomer);
  if (isFirstPageEnough(page, args)) return firstPageOf(page, args.first);
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
