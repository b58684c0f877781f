import type { StripeCharge } from '../dataset/dataset.ts';
import type { RouteHandler } from '../shared/router.ts';
import { parseLimit, unknownParam } from './list-handler.ts';
import { invalidRequest } from './stripe-error.ts';
import type { StripeStore } from './stripe-store.ts';
import { matchesQuery, parseSearchQuery, type FieldType, type SearchClause } from './search-query.ts';

/** The query fields for charges the simulator indexes (https://docs.stripe.com/search#query-fields-for-charges). */
const CHARGE_FIELDS: Readonly<Record<string, FieldType>> = {
  amount: 'numeric',
  created: 'numeric',
  currency: 'token',
  customer: 'string',
  disputed: 'token',
  payment_intent: 'string',
  refunded: 'token',
  status: 'token',
};

export interface SearchChargesOptions {
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** How long a new or changed charge takes to become searchable, in milliseconds. */
  lagMs: () => number;
}

/**
 * `GET /v1/charges/search`: `{object:"search_result", url, has_more, data, next_page}`, newest
 * first (`created`, then the list's order). Stripe documents no order for search results; newest
 * first is what it answers and what its list endpoints promise, so clients relying on it see the
 * same here. Search is eventually consistent (Stripe: "under normal operating conditions, data is
 * searchable in under 1 minute"): a charge is searched as it was `lagMs` ago.
 */
export function searchCharges(store: StripeStore, options: SearchChargesOptions): RouteHandler {
  return (req) => {
    const unknown = unknownParam(req, ['query', 'limit', 'page']);
    if (unknown) return invalidRequest(`Received unknown parameter: ${unknown}`, { code: 'parameter_unknown', param: unknown });
    const query = req.query.get('query');
    if (!query) return invalidRequest('Missing required param: query.', { code: 'parameter_missing', param: 'query' });
    const parsed = parseSearchQuery(query, CHARGE_FIELDS);
    if ('error' in parsed) return invalidRequest(parsed.error, { param: 'query' });
    const limit = parseLimit(req.query.get('limit'));
    if (typeof limit !== 'number') return limit;
    const offset = decodePage(req.query.get('page'));
    if (offset === undefined) return invalidRequest('Invalid page token.', { param: 'page' });

    const visible = store.searchableCharges(options.clock() - options.lagMs());
    const matching = visible
      .filter((charge) => matchesQuery(parsed, (clause) => fieldOf(charge, clause)))
      .map((charge, index) => ({ charge, index }))
      .sort((a, b) => b.charge.created - a.charge.created || a.index - b.index)
      .map(({ charge }) => charge);
    const data = matching.slice(offset, offset + limit);
    const hasMore = matching.length > offset + limit;
    const body: Record<string, unknown> = {
      object: 'search_result',
      url: '/v1/charges/search',
      has_more: hasMore,
      data,
      next_page: hasMore ? encodePage(offset + limit) : null,
    };
    const expand = [...req.query].filter(([name]) => /^expand\[\d*\]$/.test(name)).map(([, value]) => value);
    if (expand.includes('total_count')) body.total_count = Math.min(matching.length, 10_000);
    return { status: 200, body };
  };
}

function fieldOf(charge: StripeCharge, clause: SearchClause): string | number | boolean | null | undefined {
  if (clause.metadataKey !== undefined) return charge.metadata[clause.metadataKey];
  if (clause.field === 'disputed') return false;
  return charge[clause.field as keyof StripeCharge] as string | number | boolean | null | undefined;
}

function encodePage(offset: number): string {
  return Buffer.from(`charges:${offset}`, 'utf8').toString('base64url');
}

function decodePage(page: string | null): number | undefined {
  if (page === null) return 0;
  const match = /^charges:(\d+)$/.exec(Buffer.from(page, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}
