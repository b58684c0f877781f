import type { CallContext } from '../../upstream/call-context.ts';
import { STRIPE_MAX_PAGE, type StripeClient, type WireChargePage } from './client.ts';
import type { WireCharge } from './wire.ts';

/** Stripe: "You can combine up to 10 query clauses in a search" (https://docs.stripe.com/search#search-query-language). */
export const SEARCH_MAX_CLAUSES = 10;
/**
 * Search pages followed for one batch of customers before the batch falls back to a list per
 * customer: three pages hold 300 charges, 30 per customer of a full batch, far more than the
 * seeded accounts have. A batch that needs more is cheaper as lists than as a long chain.
 */
export const SEARCH_MAX_PAGES = 3;

const CUSTOMER_ID = /^cus_[A-Za-z0-9]+$/;

/**
 * Each customer's first page of charges (as `GET /v1/charges?customer=…&limit=100` would answer
 * it: newest first, at most 100, `hasMore`) through Search: one query per ten customers
 * (`customer:'a' OR customer:'b' …`), its pages followed to the end. Stripe documents no order
 * for search results, so nothing here relies on one: a batch counts only once it is read to
 * the end, and each customer's charges are then sorted by `created`. A batch longer than
 * SEARCH_MAX_PAGES, and an id that cannot be quoted safely, are left to `listCharges`, which is
 * what the returned map lacks.
 */
export async function searchFirstPages(client: StripeClient, customers: readonly string[], call: CallContext): Promise<Map<string, WireChargePage | Error>> {
  const found = new Map<string, WireChargePage | Error>();
  const searchable = customers.filter((id) => CUSTOMER_ID.test(id));
  const batches: string[][] = [];
  for (let at = 0; at < searchable.length; at += SEARCH_MAX_CLAUSES) batches.push(searchable.slice(at, at + SEARCH_MAX_CLAUSES));
  await Promise.all(
    batches.map(async (batch) => {
      try {
        const charges = await searchAll(client, batch.map((id) => `customer:'${id}'`).join(' OR '), call);
        if (!charges) return;
        for (const customer of batch) found.set(customer, firstPage(charges.filter((charge) => charge.customer === customer)));
      } catch (error) {
        for (const customer of batch) found.set(customer, error instanceof Error ? error : new Error(String(error)));
      }
    }),
  );
  return found;
}

/** Every charge the query matches, or undefined when that takes more than SEARCH_MAX_PAGES pages. */
async function searchAll(client: StripeClient, query: string, call: CallContext): Promise<WireCharge[] | undefined> {
  const charges: WireCharge[] = [];
  let page: string | null = null;
  for (let read = 0; read < SEARCH_MAX_PAGES; read++) {
    const result = await client.searchCharges(query, page, call);
    charges.push(...result.charges);
    if (result.nextPage === null) return charges;
    page = result.nextPage;
  }
  return undefined;
}

/**
 * The list's first page from all of one customer's charges. Past 100 the page ends before the
 * last `created` second it would split: the list's order within one second is Stripe's own, so
 * the next page (`starting_after` the last one kept) then neither repeats nor skips a charge.
 */
function firstPage(all: WireCharge[]): WireChargePage {
  const sorted = all.map((charge, index) => ({ charge, index })).sort((a, b) => b.charge.created - a.charge.created || a.index - b.index).map(({ charge }) => charge);
  if (sorted.length <= STRIPE_MAX_PAGE) return { charges: sorted, hasMore: false };
  let end = STRIPE_MAX_PAGE;
  const boundary = sorted[end]!.created;
  while (end > 0 && sorted[end - 1]!.created === boundary) end--;
  // A customer with more than 100 charges in one second: keep them, the list would page them too.
  return { charges: sorted.slice(0, end > 0 ? end : STRIPE_MAX_PAGE), hasMore: true };
}
