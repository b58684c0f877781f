import type { StripeCustomer } from '../dataset/dataset.ts';
import type { RouteHandler } from '../shared/router.ts';
import { parseLimit, unknownParam } from './list-handler.ts';
import { invalidRequest } from './stripe-error.ts';
import type { StripeStore } from './stripe-store.ts';

type Clause = { field: 'email' | 'name'; value: string };

/**
 * `GET /v1/customers/search`: `{object:"search_result", url, has_more, data, next_page}`. Only
 * exact clauses on `email` and `name` (`email:'a@b.c' AND name:"Ada"`) are understood, which is
 * all the gateway needs; emails compare case-insensitively. Real search is eventually consistent;
 * this one is immediately consistent.
 */
export function searchCustomers(store: StripeStore): RouteHandler {
  return (req) => {
    const unknown = unknownParam(req, ['query', 'limit', 'page']);
    if (unknown) return invalidRequest(`Received unknown parameter: ${unknown}`, { code: 'parameter_unknown', param: unknown });
    const query = req.query.get('query');
    if (!query) return invalidRequest('Missing required param: query.', { code: 'parameter_missing', param: 'query' });
    const clauses = parseQuery(query);
    if (!clauses) return invalidRequest(`Invalid search query: ${query}`, { param: 'query' });
    const limit = parseLimit(req.query.get('limit'));
    if (typeof limit !== 'number') return limit;
    const offset = decodePage(req.query.get('page'));
    if (offset === undefined) return invalidRequest('Invalid page token.', { param: 'page' });

    const matching = store.customers.filter((customer) => clauses.every((clause) => matches(customer, clause)));
    const data = matching.slice(offset, offset + limit);
    const hasMore = matching.length > offset + limit;
    return {
      status: 200,
      body: {
        object: 'search_result',
        url: '/v1/customers/search',
        has_more: hasMore,
        data,
        next_page: hasMore ? encodePage(offset + limit) : null,
      },
    };
  };
}

function parseQuery(query: string): Clause[] | undefined {
  const clauses: Clause[] = [];
  for (const part of query.split(/\s+AND\s+/)) {
    const match = /^\s*(email|name)\s*:\s*(?:'([^']*)'|"([^"]*)")\s*$/.exec(part);
    if (!match) return undefined;
    clauses.push({ field: match[1] as Clause['field'], value: match[2] ?? match[3] ?? '' });
  }
  return clauses;
}

function matches(customer: StripeCustomer, clause: Clause): boolean {
  return clause.field === 'email'
    ? customer.email.toLowerCase() === clause.value.toLowerCase()
    : customer.name === clause.value;
}

function encodePage(offset: number): string {
  return Buffer.from(`offset:${offset}`, 'utf8').toString('base64url');
}

function decodePage(page: string | null): number | undefined {
  if (page === null) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(page, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}
