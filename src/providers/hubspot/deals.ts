import { toConnection, type Connection } from '../../model/connection.ts';
import type { CustomerModel, DealModel } from '../../model/types.ts';
import type { HubSpotLoaders } from './loaders.ts';

export const DEAL_CURSOR_SCOPE = 'deal';

const sorted = new WeakMap<readonly string[], readonly string[]>();

/**
 * Ids in HubSpot's numeric order, sorted once per cached list: the in-process store hands every
 * answer the same array, which was copied and sorted with BigInts for every customer of every
 * answer.
 */
function sortedIds(ids: readonly string[]): readonly string[] {
  let inOrder = sorted.get(ids);
  if (!inOrder) sorted.set(ids, (inOrder = [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))));
  return inOrder;
}

/**
 * A customer's deals, ordered by HubSpot id (associations come unordered). Only the requested
 * page is read from the deals batch endpoint.
 */
export function dealsOf(
  loaders: HubSpotLoaders,
  customer: CustomerModel,
  first: number,
  afterId: string | null,
): Connection<DealModel> | Promise<Connection<DealModel>> {
  // Everything held fresh: the page at once, with no promise for graphql-jit to wait on.
  const heldIds = loaders.dealIdsOfCustomerNow(customer);
  if (heldIds !== undefined) {
    const { ids, start, pageIds } = pageOf(heldIds, first, afterId);
    const deals: DealModel[] = [];
    let held = true;
    for (const id of pageIds) {
      const deal = loaders.dealNow(id);
      if (deal === undefined) {
        held = false;
        break;
      }
      if (deal !== null) deals.push(deal);
    }
    if (held) return toConnection(DEAL_CURSOR_SCOPE, deals, { first, hasMore: start + first < ids.length, hasPreviousPage: start > 0 });
  }
  return dealsLoaded(loaders, customer, first, afterId);
}

function pageOf(unordered: readonly string[], first: number, afterId: string | null) {
  const ids = sortedIds(unordered);
  const start = afterId === null ? 0 : ids.filter((id) => BigInt(id) <= BigInt(afterId)).length;
  return { ids, start, pageIds: ids.slice(start, start + first) };
}

async function dealsLoaded(loaders: HubSpotLoaders, customer: CustomerModel, first: number, afterId: string | null): Promise<Connection<DealModel>> {
  const { ids, start, pageIds } = pageOf(await loaders.dealIdsOfCustomer(customer), first, afterId);
  const loaded = await loaders.dealById.loadMany(pageIds);
  const deals: DealModel[] = [];
  for (const deal of loaded) {
    if (deal instanceof Error) throw deal;
    // An association can outlive its deal for a moment; a deal HubSpot no longer has is skipped.
    if (deal !== null) deals.push(deal);
  }
  return toConnection(DEAL_CURSOR_SCOPE, deals, { first, hasMore: start + first < ids.length, hasPreviousPage: start > 0 });
}
